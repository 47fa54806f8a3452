"""The image viewer as a writer uses it: full size, fit, 100 % and wheel zoom, stepping through the scenes,
copying the URL, opening the folder and saving a copy."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from desktop.models import ImageStatus, Scene
from desktop.qt.aio import TaskRunner
from desktop.qt.executor import QThreadPoolExecutor
from desktop.ui.common.thumbnails import ThumbnailLoader
from desktop.ui.story.story_view import ViewerEntry
from desktop.ui.viewer.image_viewer import ImageViewer

Run = Callable[..., Any]


@pytest.fixture
def viewer(qtbot: Any, run: Run) -> Iterator[ImageViewer]:
    executor = QThreadPoolExecutor(max_workers=2)
    tasks = TaskRunner()
    made = ImageViewer(ThumbnailLoader(executor), tasks.start)
    made.resize(640, 480)
    made.open_url = lambda url: opened.append(url)  # type: ignore[method-assign]
    opened: list[QUrl] = []
    made.opened = opened  # type: ignore[attr-defined]
    qtbot.addWidget(made)
    yield made
    run(tasks.cancel_all())
    executor.shutdown(wait=True, cancel_futures=True, timeout=5)


def entries(folder: Path, count: int) -> list[ViewerEntry]:
    made = []
    story_id = uuid.uuid4()
    for index in range(count):
        path = folder / f"scene-{index:02d}.png"
        image = QImage(1536, 1024, QImage.Format.Format_RGB32)
        image.fill(QColor.fromHsv(index * 60, 160, 200))
        image.save(str(path))
        scene = Scene.create(story_id, index, f"Scene title {index + 1}", "Text.").changed(
            image_status=ImageStatus.painted, image_path=str(path)
        )
        made.append(ViewerEntry(scene, f"https://storage.example/scene-{index}.png" if index == 0 else ""))
    return made


def wheel(viewer: ImageViewer, steps: int) -> None:
    canvas = viewer.canvas.viewport()
    center = QPointF(canvas.width() / 2, canvas.height() / 2)
    event = QWheelEvent(
        center,
        canvas.mapToGlobal(center),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas, event)


def test_the_writer_steps_through_and_zooms(viewer: ImageViewer, tmp_path: Path, qtbot: Any) -> None:
    viewer.show_entries(entries(tmp_path, 3), 1, "The Salt Road")
    qtbot.waitUntil(lambda: not viewer.canvas.item.pixmap().isNull())
    assert viewer.caption.text() == "Scene 2 · Scene title 2"
    assert viewer.status.text().startswith("1536 × 1024 px")
    assert viewer.canvas.fitting and viewer.canvas.zoom < 1  # fitted into a 640-pixel window
    viewer.actual_button.click()
    assert viewer.canvas.zoom == pytest.approx(1.0)
    assert viewer.zoom_label.text() == "100 %"
    wheel(viewer, 2)
    assert viewer.canvas.zoom == pytest.approx(1.44)
    viewer.fit_button.click()
    assert viewer.canvas.fitting

    viewer.next_button.click()
    assert viewer.caption.text() == "Scene 3 · Scene title 3"
    assert not viewer.next_button.isEnabled()
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.caption.text() == "Scene 1 · Scene title 1"
    assert not viewer.previous_button.isEnabled()


def test_copy_url_open_folder_and_save_as(viewer: ImageViewer, tmp_path: Path, qtbot: Any) -> None:
    shown = entries(tmp_path, 2)
    viewer.show_entries(shown, 0, "The Salt Road")
    qtbot.waitUntil(lambda: " px · " in viewer.status.text())  # the image is shown, as the writer sees it
    assert viewer.copy_button.isEnabled()
    viewer.copy_button.click()
    assert QGuiApplication.clipboard().text() == "https://storage.example/scene-0.png"
    viewer.folder_button.click()
    assert viewer.opened == [QUrl.fromLocalFile(str(tmp_path))]  # type: ignore[attr-defined]

    viewer.save_button.click()
    dialog = viewer.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible() and "the-salt-road-scene-01.png" in dialog.selectedFiles()[0]
    target = tmp_path / "copy.png"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: viewer.status.text() == f"Saved to {target}")
    assert target.read_bytes() == Path(shown[0].scene.image_path).read_bytes()

    viewer.next_button.click()
    assert not viewer.copy_button.isEnabled()  # not uploaded yet: no URL to copy
    assert "Not uploaded yet" in viewer.copy_button.toolTip()


def test_the_wheel_zoom_shows_in_the_zoom_label(viewer: ImageViewer, tmp_path: Path, qtbot: Any) -> None:
    viewer.show_entries(entries(tmp_path, 1), 0, "The Salt Road")
    qtbot.waitUntil(lambda: not viewer.canvas.item.pixmap().isNull())
    fitted = viewer.zoom_label.text()
    wheel(viewer, 1)
    assert viewer.zoom_label.text() == f"{round(viewer.canvas.zoom * 100)} %" != fitted
    wheel(viewer, -2)
    assert viewer.zoom_label.text() == f"{round(viewer.canvas.zoom * 100)} %"


def test_the_viewer_keeps_its_size_between_long_and_short_titles(
    viewer: ImageViewer, tmp_path: Path, qtbot: Any
) -> None:
    shown = entries(tmp_path, 2)
    long_title = "The Long and Winding Account of Everything the Archivist Found Beneath the Old Customs House"
    shown[0] = ViewerEntry(shown[0].scene.changed(title=long_title), shown[0].url)
    viewer.show_entries(shown, 1, "The Salt Road")
    qtbot.waitUntil(viewer.isVisible)
    size = viewer.size()
    viewer.previous_button.click()
    assert viewer.caption.text().endswith(long_title)
    QApplication.processEvents()  # the layout settles: the window must stay as it is
    assert viewer.size() == size
    viewer.next_button.click()
    assert viewer.size() == size
    assert viewer.caption.width() < viewer.width()
    viewer.previous_button.click()
    shown = QLabel.text(viewer.caption)  # as drawn: cut short to its room, the whole title in its tooltip
    assert shown.endswith("…") and viewer.caption.fontMetrics().horizontalAdvance(shown) <= viewer.caption.width()
    assert viewer.caption.toolTip().endswith(long_title)


def test_fit_never_enlarges_a_small_image(viewer: ImageViewer, tmp_path: Path, qtbot: Any) -> None:
    path = tmp_path / "small.png"
    image = QImage(200, 120, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    image.save(str(path))
    scene = Scene.create(uuid.uuid4(), 0, "Small", "Text.").changed(
        image_status=ImageStatus.painted, image_path=str(path)
    )
    viewer.show_entries([ViewerEntry(scene, "")], 0, "The Salt Road")
    qtbot.waitUntil(lambda: not viewer.canvas.item.pixmap().isNull())
    assert viewer.canvas.zoom == pytest.approx(1.0)
    assert viewer.zoom_label.text() == "100 %"
    viewer.resize(1200, 900)
    qtbot.waitUntil(lambda: viewer.canvas.viewport().width() > 1000)
    assert viewer.canvas.zoom == pytest.approx(1.0)
    viewer.fit_button.click()
    assert viewer.canvas.zoom == pytest.approx(1.0)
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)  # the writer asks: then it grows
    assert viewer.canvas.zoom > 1.0


def test_esc_closes_the_viewer_and_the_focus_goes_back(viewer: ImageViewer, tmp_path: Path, qtbot: Any) -> None:
    from PySide6.QtWidgets import QPushButton

    opener = QPushButton("Open image")
    qtbot.addWidget(opener)
    opener.show()
    opener.activateWindow()
    opener.setFocus()
    qtbot.waitUntil(opener.hasFocus)
    closed: list[int] = []
    viewer.closed.connect(closed.append)
    viewer.show_entries(entries(tmp_path, 2), 0, "The Salt Road")
    qtbot.waitUntil(viewer.isActiveWindow)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()
    assert closed == [1]
    qtbot.waitUntil(opener.hasFocus)
