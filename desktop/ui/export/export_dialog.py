"""File → Export…: the open story to Markdown, HTML, EPUB, PDF or Word, through `session.exports`.

The write runs on the executor, so the window stays live; the dialog shows the scene being written, then the file
with Open and Show in folder, and any scene shown without its image. A failure is one line, and the writer may
choose another place and try again.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop.explain import plain_words, words_without_the_file
from desktop.export import ExportCancelled, ExportFormat, ExportResult, safe_file_name
from desktop.services.story_errors import StoryError
from desktop.ui.common.widgets import button, field_label, small_label
from desktop.ui.window.window_state import window_settings

if TYPE_CHECKING:
    from desktop.services.story_exports import StoryExports

Start = Callable[[Coroutine[Any, Any, None], str], object]  # TaskRunner.start: failures reach the window's notices

LAST_FORMAT_KEY = "export/format"
LAST_FOLDER_KEY = "export/folder"


def remembered_format() -> ExportFormat:
    try:
        return ExportFormat(str(window_settings().value(LAST_FORMAT_KEY, ExportFormat.epub.value)))
    except ValueError:
        return ExportFormat.epub


def remembered_folder() -> Path:
    """The folder of the last export, else ~/Documents, else home."""
    last = window_settings().value(LAST_FOLDER_KEY)
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.home()


def suggested_name(title: str, format: ExportFormat) -> str:
    return f"{safe_file_name(title)}.{format.extension}"  # as desktop.export.file_name names a Book


def readable_size(size: int) -> str:
    return QLocale().formattedDataSize(size, 1, QLocale.DataSizeFormat.DataSizeTraditionalFormat)


class ExportDialog(QDialog):
    def __init__(
        self, story_id: uuid.UUID, title: str, exports: StoryExports, start: Start, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export “{title}”")
        self.setMinimumWidth(640)  # a folder path and a title on one line
        self._story_id = story_id
        self._title = title
        self._exports = exports
        self._start = start
        self.exporting = False
        self.exported: ExportResult | None = None
        self.file_dialog: QFileDialog | None = None

        self.format_box = QComboBox()
        for format in ExportFormat:
            self.format_box.addItem(format.label, format)
        self.path_edit = QLineEdit()
        self.browse_button = button("&Browse…", "folder")
        place = QHBoxLayout()
        place.addWidget(self.path_edit, 1)
        place.addWidget(self.browse_button)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(field_label("&Format:", self.format_box), self.format_box)
        form.addRow(field_label("&Save as:", self.path_edit), place)

        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("Scene %v of %m")
        self.progress_bar.hide()
        # Cancel stops the write between two scenes (the worker checks `_cancel`); the file that was there stays.
        self._cancel = threading.Event()
        self.status_line = QLabel()
        self.status_line.setWordWrap(True)
        self.status_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_line.hide()
        self.warnings_label = small_label("", "muted")
        self.warnings_label.hide()

        self.open_button = button("&Open", "show")
        self.show_folder_button = button("Show in f&older", "folder")
        done_row = QHBoxLayout()
        done_row.addWidget(self.open_button)
        done_row.addWidget(self.show_folder_button)
        done_row.addStretch(1)
        self._done_row = QWidget()
        self._done_row.setLayout(done_row)
        done_row.setContentsMargins(0, 0, 0, 0)
        self._done_row.hide()

        self.export_button = button("&Export", "save", primary=True)
        self.export_button.setDefault(True)
        self.close_button = button("&Close")
        self.cancel_button = button("&Cancel", "cancel", tooltip="Stop the export; the file that was there stays")
        self.cancel_button.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_line)
        layout.addWidget(self._done_row)
        layout.addWidget(self.warnings_label)
        layout.addStretch(1)
        layout.addLayout(buttons)

        format = remembered_format()
        self.format_box.setCurrentIndex(self.format_box.findData(format))
        self.path_edit.setText(str(remembered_folder() / suggested_name(title, format)))
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self.reject)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(lambda: self._open(self._written_file()))
        self.show_folder_button.clicked.connect(lambda: self._open(self._written_file().parent))
        self.path_edit.textChanged.connect(self._path_changed)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl  # tests record instead of opening

    @property
    def format(self) -> ExportFormat:
        return ExportFormat(self.format_box.currentData())

    def _format_changed(self) -> None:
        """The file's extension follows the format, unless the writer typed a name of their own kind."""
        text = self.path_edit.text().strip()
        path = Path(text).expanduser()
        known = {f".{format.extension}" for format in ExportFormat}
        if text and path.suffix.lower() in known:
            self.path_edit.setText(str(path.with_suffix(f".{self.format.extension}")))

    def _path_changed(self) -> None:
        self.export_button.setEnabled(not self.exporting and bool(self.path_edit.text().strip()))

    def browse(self) -> None:
        typed = Path(self.path_edit.text().strip()).expanduser()
        if typed.is_dir():
            folder, name = typed, suggested_name(self._title, self.format)
        else:
            # A folder that does not exist (the last try failed there) opens the usual one, not the working folder.
            folder = typed.parent if typed.name and typed.parent.is_dir() else remembered_folder()
            name = typed.name or suggested_name(self._title, self.format)
        dialog = QFileDialog(self, "Export to", str(folder))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(f"{self.format.label} (*.{self.format.extension})")
        dialog.setDefaultSuffix(self.format.extension)
        dialog.selectFile(str(folder / name))
        dialog.fileSelected.connect(self.path_edit.setText)
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _: setattr(self, "file_dialog", None))
        self.file_dialog = dialog
        dialog.open()  # never exec(): the loop keeps running under it

    def export(self) -> None:
        text = self.path_edit.text().strip()
        if self.exporting or not text:
            return
        self._cancel.clear()
        self._set_exporting(True)
        self._start(self._export(self.format, Path(text).expanduser()), "Exporting the story")

    def cancel(self) -> None:
        if self.exporting:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.status_line.setText("Stopping after this scene…")

    async def _export(self, format: ExportFormat, out: Path) -> None:
        try:
            result = await self._exports.export(self._story_id, format, out, self._progress, cancel=self._cancel)
        except ExportCancelled:
            self._show_cancelled(out)
            return
        except (StoryError, OSError) as exc:
            self._show_failure(out, exc)
            return
        except Exception as exc:  # shown here too, and reported in the window's notices by the task runner
            self._show_failure(out, exc)
            raise
        finally:
            self._set_exporting(False)
        self._show_done(result)

    def _progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(done)

    def _set_exporting(self, exporting: bool) -> None:
        self.exporting = exporting
        for control in (self.format_box, self.path_edit, self.browse_button, self.close_button):
            control.setEnabled(not exporting)
        self._path_changed()
        self.cancel_button.setVisible(exporting)
        self.cancel_button.setEnabled(exporting)
        if exporting:
            self.exported = None
            self.export_button.setText("&Export")
            self._done_row.hide()
            self.warnings_label.hide()
            self.status_line.setText("Exporting…")
            self.status_line.setObjectName("hint")
            self.status_line.show()
            self.progress_bar.setRange(0, 0)  # busy until the first scene is written
            self.progress_bar.show()
        else:
            self.progress_bar.hide()
        self._restyle(self.status_line)

    def _show_done(self, result: ExportResult) -> None:
        self.exported = result
        settings = window_settings()
        settings.setValue(LAST_FORMAT_KEY, result.format.value)
        settings.setValue(LAST_FOLDER_KEY, str(result.path.parent))
        self.status_line.setObjectName("exportDone")
        self.status_line.setText(f"Exported to {result.path} ({readable_size(result.size)})")
        self._restyle(self.status_line)
        self._done_row.show()
        if result.warnings:
            count = len(result.warnings)
            shown = "1 scene is shown without its" if count == 1 else f"{count} scenes are shown without their"
            self.warnings_label.setText(
                f"{shown} current image:\n" + "\n".join(f"• {line}" for line in result.warnings)
            )
            self.warnings_label.show()
        self.export_button.setText("&Export again")
        self.close_button.setFocus()

    def _show_cancelled(self, out: Path) -> None:
        self.status_line.setObjectName("hint")
        self.status_line.setText(f"Export cancelled — {out} was not written (a file that was there is unchanged).")
        self._restyle(self.status_line)
        self.export_button.setFocus()

    def _show_failure(self, out: Path, error: BaseException) -> None:
        if isinstance(error, OSError) and error.errno:
            line = f"Could not export to {out}. {words_without_the_file(error)}"  # named by the place chosen
        else:
            line = plain_words(error)
        self.status_line.setObjectName("fieldError")
        self.status_line.setText(line)
        self._restyle(self.status_line)
        self.path_edit.setFocus()

    def _written_file(self) -> Path:
        assert self.exported is not None
        return self.exported.path

    def _open(self, path: Path) -> None:
        self.open_url(QUrl.fromLocalFile(str(path)))

    def _restyle(self, label: QLabel) -> None:
        label.style().unpolish(label)
        label.style().polish(label)
        # Lines come and go (progress, result, warnings): the dialog takes their height rather than squeezing them.
        QTimer.singleShot(0, self, self.adjustSize)

    def reject(self) -> None:
        if (
            self.exporting
        ):  # Esc or the title bar's close while it writes: stop it, rather than hide a write that goes on
            self.cancel()
        else:
            super().reject()
