"""Settings: providers, storage, database and concurrency, each connection with a Test button; keys to the keyring.

Opened with `open()` (never a modal exec() inside a coroutine); saving runs on the executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.config import Settings, field_problem, save_settings, unusable
from desktop.explain import plain_words
from desktop.qt.executor import QThreadPoolExecutor
from desktop.secrets import SecretStore
from desktop.services import connection_checks
from desktop.services.connection_checks import CheckResult
from desktop.services.discovery import FoundServer, settings_update
from desktop.ui.common.widgets import button, plain, set_icon, small_label
from desktop.ui.settings.found_servers import FindServers

StartTask = Callable[[Coroutine[Any, Any, Any], str], object]

TEXT_PROVIDERS = [("Offline generator", "offline"), ("OpenAI-compatible", "openai")]
IMAGE_PROVIDERS = [
    ("Offline generator", "offline"),
    ("OpenAI-compatible", "openai"),
    ("Automatic1111-compatible", "a1111"),
    ("ComfyUI", "comfyui"),
]
STORAGE_BACKENDS = [("Local folder", "local"), ("Supabase Storage", "supabase")]
DATABASES = [("Embedded (in the data folder)", "embedded"), ("PostgreSQL at a URL", "url")]
SUPABASE_URLS = (
    "Supabase: direct db.<ref>.supabase.co:5432 and session pooler …pooler.supabase.com:5432 do everything;\n"
    "its transaction pooler …:6543 (the dashboard's default) works too, but live refresh needs a session URL."
)
ENV_NAMES = {
    "openai_api_key": "STORYFORGE_OPENAI_API_KEY",
    "supabase_key": "STORYFORGE_SUPABASE_KEY",
    "database_password": "STORYFORGE_DATABASE_PASSWORD",
}


def combo(choices: list[tuple[str, str]], current: str) -> QComboBox:
    box = QComboBox()
    for label, value in choices:
        box.addItem(label, value)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


def keys_note(secrets: SecretStore) -> tuple[str, bool]:
    """Where keys and passwords are kept, said once for the whole dialog; True when they do not last."""
    if secrets.persistent:
        return f"Keys and passwords are kept in {secrets.where}, never in the settings file.", False
    names = ", ".join(ENV_NAMES.values())
    return (
        "No system keyring on this computer: keys and passwords are kept only until Storyforge quits. "
        f"To keep one, set it in the environment ({names}).",
        True,
    )


class KeyField(QWidget):
    """A masked key with a Show toggle."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.edit = QLineEdit(value)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("Not set")
        self.show_action = QAction("Show the key", self.edit)
        set_icon(self.show_action, "show")
        self.show_action.setCheckable(True)
        self.show_action.toggled.connect(
            lambda shown: self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        )
        self.edit.addAction(self.show_action, QLineEdit.ActionPosition.TrailingPosition)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def text(self) -> str:
        return self.edit.text().strip()

    def setAccessibleName(self, name: str) -> None:  # the label names the line edit, which takes the focus
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)


class FileField(QWidget):
    """A path with a Browse… button that opens a file dialog without blocking the loop."""

    def __init__(self, value: str, title: str, name_filter: str, placeholder: str) -> None:
        super().__init__()
        self.edit = QLineEdit(value)
        self.edit.setPlaceholderText(placeholder)
        self.browse = button("Browse…", tooltip=title)
        self.browse.clicked.connect(self.choose)
        self._title = title
        self._filter = name_filter
        self.dialog: QFileDialog | None = None
        self.setFocusProxy(self.edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def choose(self) -> None:
        start = str(Path(self.edit.text()).expanduser().parent) if self.edit.text().strip() else str(Path.home())
        self.dialog = QFileDialog(self, self._title, start, self._filter)
        self.dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.dialog.fileSelected.connect(self._chosen)
        self.dialog.open()  # never exec(): a nested loop inside a coroutine fails (FACTS.md)

    def _chosen(self, path: str) -> None:
        self.edit.setText(path)
        self.edit.textEdited.emit(path)  # as if typed: the field's old refusal goes away

    def text(self) -> str:
        return self.edit.text().strip()

    def setAccessibleName(self, name: str) -> None:
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)


class CheckRow(QWidget):
    """A Test button and the answer beside it."""

    def __init__(self, label: str, lines: int = 2) -> None:
        super().__init__()
        self.button: QPushButton = button(label, tooltip="Try the connection with the values above")
        self.result = small_label("", "checkResult")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A fixed number of lines: an answer never pushes the form below it down (the whole text is in the tooltip).
        self.result.setFixedHeight(lines * self.result.fontMetrics().lineSpacing() + 2)
        self.result.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.result, 1, Qt.AlignmentFlag.AlignVCenter)

    def show_running(self) -> None:
        self.button.setEnabled(False)
        self.result.setProperty("ok", None)
        self.result.setText("Checking…")
        self.result.setToolTip("")
        self._restyle()

    def show_result(self, result: CheckResult) -> None:
        self.button.setEnabled(True)
        self.result.setProperty("ok", result.ok)
        self.result.setText(("✓ " if result.ok else "✗ ") + result.message)
        self.result.setToolTip(result.message)
        self._restyle()

    def _restyle(self) -> None:
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(8)
    return form


def _row(form: QFormLayout, label: str, field: QWidget) -> None:
    form.addRow(label, field)
    field.setAccessibleName(plain(label))


def _checked_row(form: QFormLayout, label: str, field: QWidget) -> QLabel:
    """A row whose field can be refused: the reason shows right under the field, hidden while there is none."""
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(field)
    reason = small_label("", "fieldError")
    reason.setAccessibleName(f"{plain(label)} problem")
    reason.hide()
    column.addWidget(reason)
    form.addRow(label, holder)
    field.setAccessibleName(plain(label))
    return reason


class SettingsDialog(QDialog):
    saved = Signal(object)  # Settings

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        executor: QThreadPoolExecutor,
        start_task: StartTask,
        parent: QWidget | None = None,
        config_directory: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(720)
        self._settings = settings
        self._secrets = secrets
        self._executor = executor
        self._start_task = start_task
        self._config_directory = config_directory
        self.reasons: dict[str, QLabel] = {}  # field → the label beside it that says why it is refused
        self._fields: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings sections")
        self.tabs.addTab(self._writing_tab(), "&Writing")
        self.tabs.addTab(self._storage_tab(), "St&orage")
        self.tabs.addTab(self._database_tab(), "&Database")
        note, warning = keys_note(secrets)
        self.keys_note = small_label(note, "keyHome")
        self.keys_note.setWordWrap(True)
        self.keys_note.setProperty("warning", warning)
        self.error = small_label("", "fieldError")
        self.save_button = button("Save", primary=True, tooltip="Keep these settings")
        self.cancel_button = button("Cancel", tooltip="Close without saving (Esc)")
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.keys_note)  # once for every key on every tab
        layout.addLayout(buttons)
        self._update_enabled()
        for name, edit in self._edits().items():
            edit.textEdited.connect(lambda _text, name=name: self._clear_reason(name))

    # --- the tabs ---

    def _writing_tab(self) -> QWidget:
        s = self._settings
        self.text_provider = combo(TEXT_PROVIDERS, s.text_provider)
        self.image_provider = combo(IMAGE_PROVIDERS, s.image_provider)
        self.text_test = CheckRow("Test text")
        self.image_test = CheckRow("Test images")
        self.openai_url = QLineEdit(s.openai_base_url)
        self.openai_url.setPlaceholderText("https://api.openai.com/v1 — or http://127.0.0.1:11434/v1 for Ollama")
        self.openai_model = QLineEdit(s.openai_model)
        self.openai_image_model = QLineEdit(s.openai_image_model)
        self.openai_key = KeyField(s.openai_api_key.get_secret_value())
        self.a1111_url = QLineEdit(s.a1111_url)
        self.comfyui_url = QLineEdit(s.comfyui_url)
        # Editable: filled with the server's checkpoints when Test images reaches it; empty means its first.
        self.comfyui_checkpoint = QComboBox()
        self.comfyui_checkpoint.setEditable(True)
        self.comfyui_checkpoint.setEditText(s.comfyui_checkpoint)
        if (checkpoint_edit := self.comfyui_checkpoint.lineEdit()) is not None:
            checkpoint_edit.setPlaceholderText("The first the server lists — Test images fills this")
        self.comfyui_workflow = FileField(
            s.comfyui_workflow,
            "Choose a ComfyUI workflow in API format, with {{prompt}} where the scene goes",
            "ComfyUI workflows (*.json);;All files (*)",
            "The shipped text-to-image workflow",
        )
        self.image_concurrency = QSpinBox()
        self.image_concurrency.setRange(1, 16)
        self.image_concurrency.setValue(s.image_concurrency)
        self.image_concurrency.setSuffix(" at a time")
        self.image_candidates = QSpinBox()
        self.image_candidates.setRange(1, 4)
        self.image_candidates.setValue(s.image_candidates)
        self.image_candidates.setSuffix(" pictures")
        self.image_candidates.setToolTip("How many pictures Scene → More images paints to choose from")

        self.find_servers = FindServers(self._start_task)
        self.find_servers.chosen.connect(self._use_server)

        providers = _form()
        providers.addRow("Local servers:", self.find_servers)
        _row(providers, "Text provider:", self.text_provider)
        providers.addRow("", self.text_test)
        _row(providers, "Image provider:", self.image_provider)
        providers.addRow("", self.image_test)
        _row(providers, "Images painted:", self.image_concurrency)
        _row(providers, "More images paints:", self.image_candidates)
        self.openai_group = QGroupBox("OpenAI-compatible server (OpenAI, Ollama, LM Studio, vLLM, LocalAI)")
        openai = _form()
        self._checked("openai_base_url", openai, "Base URL:", self.openai_url)
        self._checked("openai_model", openai, "Text model:", self.openai_model)
        self._checked("openai_image_model", openai, "Image model:", self.openai_image_model)
        self._checked("openai_api_key", openai, "API key:", self.openai_key)
        self.openai_group.setLayout(openai)
        self.a1111_group = QGroupBox("Automatic1111-compatible server (Stable Diffusion WebUI, Forge, SD.Next)")
        a1111 = _form()
        self._checked("a1111_url", a1111, "URL:", self.a1111_url)
        self.a1111_group.setLayout(a1111)
        self.comfyui_group = QGroupBox("ComfyUI")
        comfyui = _form()
        self._checked("comfyui_url", comfyui, "URL:", self.comfyui_url)
        _row(comfyui, "Checkpoint:", self.comfyui_checkpoint)
        _row(comfyui, "Workflow:", self.comfyui_workflow)
        self.comfyui_group.setLayout(comfyui)

        self.text_provider.currentIndexChanged.connect(self._update_enabled)
        self.image_provider.currentIndexChanged.connect(self._update_enabled)
        self.text_test.button.clicked.connect(lambda: self._test(self.text_test, self._check_text))
        self.image_test.button.clicked.connect(lambda: self._test(self.image_test, self._check_images))
        return self._page(providers, self.openai_group, self.a1111_group, self.comfyui_group)

    def _storage_tab(self) -> QWidget:
        s = self._settings
        self.storage_backend = combo(STORAGE_BACKENDS, s.storage_backend)
        self.local_folder = small_label(str(s.storage_folder), "muted")
        self.local_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.supabase_url = QLineEdit(s.supabase_url)
        self.supabase_url.setPlaceholderText("https://your-project.supabase.co")
        self.supabase_key = KeyField(s.supabase_key.get_secret_value())
        self.supabase_bucket = QLineEdit(s.supabase_bucket)
        self.supabase_public = QCheckBox("Public bucket (anyone with the link can see the images)")
        self.supabase_public.setAccessibleName(self.supabase_public.text())
        self.supabase_public.setChecked(s.supabase_public)
        self.signed_url_hours = QSpinBox()
        self.signed_url_hours.setRange(1, 24 * 365)
        self.signed_url_hours.setValue(max(1, round(s.signed_url_expiry / 3600)))
        self.signed_url_hours.setSuffix(" hours")
        self.upload_concurrency = QSpinBox()
        self.upload_concurrency.setRange(1, 32)
        self.upload_concurrency.setValue(s.upload_concurrency)
        self.upload_concurrency.setSuffix(" at a time")
        self.storage_test = CheckRow("Test storage")

        where = self._storage_form = _form()
        _row(where, "Keep images in:", self.storage_backend)
        where.addRow("Local folder:", self.local_folder)  # shown only while the local folder is chosen
        where.addRow("", self.storage_test)
        _row(where, "Uploads:", self.upload_concurrency)
        self.supabase_group = QGroupBox("Supabase Storage")
        supabase = _form()
        self._checked("supabase_url", supabase, "Project URL:", self.supabase_url)
        self._checked("supabase_key", supabase, "Key:", self.supabase_key)
        self._checked("supabase_bucket", supabase, "Bucket:", self.supabase_bucket)
        supabase.addRow("", self.supabase_public)
        _row(supabase, "Signed links last:", self.signed_url_hours)
        self.supabase_group.setLayout(supabase)
        self.storage_backend.currentIndexChanged.connect(self._update_enabled)
        self.supabase_public.toggled.connect(self._update_enabled)
        self.storage_test.button.clicked.connect(lambda: self._test(self.storage_test, self._check_storage))
        return self._page(where, self.supabase_group)

    def _database_tab(self) -> QWidget:
        s = self._settings
        self.database_kind = combo(DATABASES, "embedded" if s.uses_embedded_database else "url")
        self.database_kinds_note = small_label(SUPABASE_URLS, "muted")
        self.database_kinds_note.setWordWrap(False)  # two explicit lines (a wrapped label in a form leaves gaps)
        self.database_url = QLineEdit(s.database_url)
        self.database_url.setPlaceholderText("postgresql://user@host:5432/storyforge")
        self.database_url_kind = small_label("", "muted")
        self.database_url_kind.setWordWrap(False)  # one line, always there: typing never moves the form
        self.database_session_url = QLineEdit(s.database_session_url)
        self.database_ca_file = FileField(
            s.database_ca_file,
            "Choose the CA certificate of the database (Supabase: Project Settings → Database → SSL Configuration)",
            "Certificates (*.crt *.pem *.cer);;All files (*)",
            "None: the system's certificates",
        )
        self.database_password = KeyField(s.database_password.get_secret_value())
        self.database_test = CheckRow("Test database", lines=3)
        note = small_label("A change of database takes effect the next time Storyforge starts.", "muted")
        form = _form()
        form.addRow(self.database_kinds_note)  # across the whole form: the lines are long
        _row(form, "Database:", self.database_kind)
        self._checked("database_url", form, "URL:", self.database_url)
        form.addRow("", self.database_url_kind)
        self._checked("database_password", form, "Password:", self.database_password)
        self._checked("database_session_url", form, "Session URL:", self.database_session_url)
        self._checked("database_ca_file", form, "CA certificate:", self.database_ca_file)
        form.addRow("", self.database_test)
        form.addRow("", note)
        self.database_kind.currentIndexChanged.connect(self._update_enabled)
        self.database_url.textChanged.connect(self._describe_database_url)
        self.database_test.button.clicked.connect(lambda: self._test(self.database_test, self._check_database))
        self._describe_database_url()
        return self._page(form)

    def _describe_database_url(self) -> None:
        url = self.database_url.text()
        self.database_url_kind.setText(connection_checks.database_url_summary(url))
        self.database_session_url.setPlaceholderText(connection_checks.session_url_hint(url))

    @staticmethod
    def _page(form: QFormLayout, *groups: QGroupBox) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(14)
        layout.addLayout(form)
        for group in groups:
            layout.addWidget(group)
        layout.addStretch(1)
        return page

    def _update_enabled(self) -> None:
        uses_openai = self.text_provider.currentData() == "openai" or self.image_provider.currentData() == "openai"
        self.openai_group.setEnabled(uses_openai)
        self.a1111_group.setEnabled(self.image_provider.currentData() == "a1111")
        self.comfyui_group.setEnabled(self.image_provider.currentData() == "comfyui")
        supabase = self.storage_backend.currentData() == "supabase"
        self._storage_form.setRowVisible(self.local_folder, not supabase)
        self.supabase_group.setEnabled(supabase)
        self.signed_url_hours.setEnabled(supabase and not self.supabase_public.isChecked())
        remote = self.database_kind.currentData() == "url"
        for field in (
            self.database_url,
            self.database_url_kind,
            self.database_password,
            self.database_session_url,
            self.database_ca_file,
        ):
            field.setEnabled(remote)

    def _use_server(self, server: FoundServer, model: str) -> None:
        """A found server fills the fields it needs; the writer still presses Save."""
        combos = {
            "text_provider": self.text_provider,
            "image_provider": self.image_provider,
            "comfyui_checkpoint": self.comfyui_checkpoint,  # editable: any name the server lists
        }
        for name, value in settings_update(server, model, self.image_provider.currentData()).items():
            field = combos.get(name) or self._fields.get(name)
            if isinstance(field, QComboBox) and field.findData(value) >= 0:
                field.setCurrentIndex(field.findData(value))
            elif isinstance(field, QComboBox) and field.isEditable():
                field.setEditText(value)
            elif isinstance(field, QLineEdit):
                field.setText(value)
                self._clear_reason(name)

    # --- values ---

    def values(self) -> dict[str, Any]:
        remote = self.database_kind.currentData() == "url"
        return {
            "text_provider": self.text_provider.currentData(),
            "image_provider": self.image_provider.currentData(),
            "openai_base_url": self.openai_url.text().strip(),
            "openai_model": self.openai_model.text().strip(),
            "openai_image_model": self.openai_image_model.text().strip(),
            "openai_api_key": SecretStr(self.openai_key.text()),
            "a1111_url": self.a1111_url.text().strip(),
            "comfyui_url": self.comfyui_url.text().strip(),
            "comfyui_checkpoint": self.comfyui_checkpoint.currentText().strip(),
            "comfyui_workflow": self.comfyui_workflow.text(),
            "image_concurrency": self.image_concurrency.value(),
            "image_candidates": self.image_candidates.value(),
            "storage_backend": self.storage_backend.currentData(),
            "supabase_url": self.supabase_url.text().strip(),
            "supabase_key": SecretStr(self.supabase_key.text()),
            "supabase_bucket": self.supabase_bucket.text().strip(),
            "supabase_public": self.supabase_public.isChecked(),
            "signed_url_expiry": self.signed_url_hours.value() * 3600,
            "upload_concurrency": self.upload_concurrency.value(),
            "database_url": self.database_url.text().strip() if remote else "",
            "database_session_url": self.database_session_url.text().strip() if remote else "",
            "database_ca_file": self.database_ca_file.text(),
            "database_password": SecretStr(self.database_password.text()),
        }

    def edited_settings(self) -> Settings:
        """The settings as the form has them; raises ValidationError with the first problem."""
        current = self._settings.model_dump()
        return Settings(**{**current, **self.values()})

    def problems(self) -> dict[str, str]:
        """Every field that cannot work as the form has it → why: bad values, and what the choices need."""
        merged = {**self._settings.model_dump(), **self.values()}
        found: dict[str, str] = {}
        try:
            settings = Settings(**merged)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                name = str(error["loc"][0]) if error["loc"] else ""
                found.setdefault(name, field_problem(name, dict(error)))
            settings = Settings.model_construct(**merged)
        for name, reason in unusable(settings).items():
            found.setdefault(name, reason)
        return found

    def show_problems(self, problems: dict[str, str]) -> None:
        """Each reason beside its field; the first one's tab comes forward with its field focused."""
        for name, label in self.reasons.items():
            label.setText(_sentence(problems[name]) if name in problems else "")
            label.setVisible(name in problems)
        first = next((name for name in problems if name in self.reasons), None)
        if first is not None:
            field = self._field(first)
            pages = [self.tabs.widget(i) for i in range(self.tabs.count())]
            self.tabs.setCurrentIndex(next(i for i, page in enumerate(pages) if page and page.isAncestorOf(field)))
            field.setFocus()
        if not problems:
            self.error.setText("")
            return
        elsewhere = [f"{_FIELD_WORDS.get(n, n)} {r}." for n, r in problems.items() if n not in self.reasons]
        if len(problems) == 1:
            summary = "This setting cannot work as typed — see the marked field. Nothing was saved."
        else:
            summary = f"{len(problems)} settings cannot work as typed — see the marked fields. Nothing was saved."
        self.error.setText(" ".join([summary, *elsewhere]))

    def _checked(self, name: str, form: QFormLayout, label: str, field: QWidget) -> None:
        self.reasons[name] = _checked_row(form, label, field)
        self._fields[name] = field

    def _field(self, name: str) -> QWidget:
        return self._fields[name]

    def _edits(self) -> dict[str, QLineEdit]:
        edits = {"openai_api_key": self.openai_key.edit, "supabase_key": self.supabase_key.edit}
        edits["database_password"] = self.database_password.edit
        edits["database_ca_file"] = self.database_ca_file.edit
        edits.update({name: field for name, field in self._fields.items() if isinstance(field, QLineEdit)})
        return edits

    def _clear_reason(self, name: str) -> None:
        self.reasons[name].clear()
        self.reasons[name].hide()

    # --- tests ---

    def _test(self, row: CheckRow, check: Callable[[Settings], Awaitable[CheckResult]]) -> None:
        try:
            settings = self.edited_settings()
        except ValidationError as exc:
            row.show_result(CheckResult(False, _first_problem(exc)))
            return
        row.show_running()
        self._start_task(self._run_check(row, check(settings)), "Testing the connection")

    async def _run_check(self, row: CheckRow, check: Awaitable[CheckResult]) -> None:
        try:
            result = await check
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            result = CheckResult(False, f"The test itself failed: {type(exc).__name__}.")
        row.show_result(result)

    async def _check_text(self, settings: Settings) -> CheckResult:
        return await connection_checks.check_text_provider(settings)

    async def _check_images(self, settings: Settings) -> CheckResult:
        result = await connection_checks.check_image_provider(settings)
        if result.checkpoints:
            chosen = self.comfyui_checkpoint.currentText()
            self.comfyui_checkpoint.clear()
            self.comfyui_checkpoint.addItems(list(result.checkpoints))
            self.comfyui_checkpoint.setEditText(chosen)
        return result

    async def _check_storage(self, settings: Settings) -> CheckResult:
        return await connection_checks.check_storage(settings, self._executor)

    async def _check_database(self, settings: Settings) -> CheckResult:
        return await connection_checks.check_database(settings)

    # --- saving ---

    def save(self) -> None:
        """Run the cheap checks; nothing is written while a field cannot work."""
        if problems := self.problems():
            self.show_problems(problems)
            return
        settings = self.edited_settings()
        self.show_problems({})
        self.save_button.setEnabled(False)
        self._start_task(self._save(settings), "Saving the settings")

    async def _save(self, settings: Settings) -> None:
        try:
            await asyncio.wrap_future(
                self._executor.submit(save_settings, settings, self._secrets, self._config_directory)
            )
        except Exception as exc:
            self.error.setText(f"The settings could not be saved: {plain_words(exc)}")
            raise
        finally:
            self.save_button.setEnabled(True)
        self._settings = settings
        self.saved.emit(settings)
        self.accept()


_FIELD_WORDS = {
    "openai_base_url": "Base URL",
    "image_concurrency": "Images painted",
    "image_candidates": "More images paints",
    "upload_concurrency": "Uploads",
    "signed_url_expiry": "Signed links last",
    "database_session_url": "Session URL",
    "database_ca_file": "CA certificate",
}


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    words = _FIELD_WORDS.get(field, field.replace("_", " ").capitalize())
    return f"{words} {field_problem(field, dict(error)) if field in Settings.model_fields else error['msg']}."


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")
