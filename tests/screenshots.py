"""`make screenshots`: render the window offscreen into docs/screenshots/ for the README.

Runs the real app pieces — a Runtime on an embedded PostgreSQL in a temporary folder, the offline generator, and a
loopback Storage server that refuses some uploads — and grabs: the window mid-generation, a finished story, its
Story bible, the Export dialog, a scene's History, the Trash, the image viewer, the Uploads panel with a failure, and
Settings.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZE = (1360, 860)

LIBRARY = [
    ("Winter Orchard", "An old gardener teaches a girl named Ilse to graft apple trees in the last winter of the war."),
    ("Copper Bells", "Tova, a bell-founder's daughter, casts a bell in Halden that rings in other people's dreams."),
    ("The Salt Road", "Two sisters, Amira and Noor, cross the desert to Qarra carrying a letter they must not open."),
]
MAIN = (
    "The Lighthouse at the End of the Map",
    "Maren, the last keeper of the Skerry light, finds a map in the oil store that shows a harbour no ship has ever "
    "reached. With her brother Ole she follows it north through the winter storms.",
)
REFUSED = ("Glass Harbour", "Pell, a glassblower's apprentice on Murro, sails north to find the sand that sings.")


async def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the window did not reach the state to photograph")
        await asyncio.sleep(0.02)


def save(widget: QWidget, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


async def shoot(folder: Path) -> None:
    from pydantic import SecretStr

    from desktop.config import Settings
    from desktop.db.embedded import EmbeddedPostgres
    from desktop.models import StoryRequest, StoryStatus, UploadStatus
    from desktop.qt.executor import QThreadPoolExecutor
    from desktop.secrets import SecretStore
    from desktop.services.runtime import Runtime
    from desktop.ui.window.main_window import MainWindow
    from tests.support.storage_server import Bucket, StorageServer
    from tests.support.ui_servers import ModelListServer

    starter = QThreadPoolExecutor(max_workers=1)
    server = EmbeddedPostgres(folder / "postgres")
    storage = StorageServer(buckets=[Bucket("story-images")]).start()
    dsn = await asyncio.wrap_future(starter.submit(server.start))
    try:
        settings = Settings(
            data_dir=folder / "data",
            database_url=dsn,
            user_id=uuid.uuid4(),
            storage_backend="supabase",
            supabase_url=storage.url,
            supabase_key=SecretStr(storage.key),
            request_timeout=5.0,
        )
        runtime = Runtime(settings, SecretStore())
        window = MainWindow(runtime)
        window.resize(*SIZE)
        window.show()
        assert await runtime.start_database(), runtime.database_error
        assert runtime.session is not None
        service = runtime.session.stories
        for title, prompt in LIBRARY:
            await service.generate(StoryRequest(title=title, prompt=prompt, scene_count=3))

        # Mid-generation: a slower offline generator, so text is seen streaming in.
        service.reconfigure(settings.model_copy(update={"offline_delay": 0.35}))
        title, prompt = MAIN
        window.new_story()
        window.composer.title_edit.setText(title)
        window.composer.prompt_edit.setPlainText(prompt)
        window.composer.scenes_spin.setValue(6)
        window.composer.style_edit.setText("watercolour, soft northern light")
        window.composer.characters_edit.setPlainText("Maren, the keeper; Ole, her brother, a fisherman")
        window.composer.submit()
        view = window.story_view
        await wait_for(lambda: sum(card.scene is not None for card in view.cards.values()) >= 2)
        await wait_for(lambda: len(view.cards) >= 3)
        await wait_for(lambda: len(view.cards[len(view.cards) - 1].text) > 120)
        save(window, "writing")

        await wait_for(lambda: view.story is not None and view.story.status is StoryStatus.complete)
        await runtime.session.uploads.wait_settled()
        await wait_for(lambda: all(card.placeholder_text is None for card in view.cards.values()))
        await asyncio.sleep(0.2)
        view.scroll_area.verticalScrollBar().setValue(0)
        save(window, "story")

        # The Story bible beside the story: the drafted cast with their portraits, the first character's form open.
        assert view.story is not None
        looks = {"Maren": "tall, red braid, yellow oilskin coat", "Ole": "wiry boy, freckles, blue knitted cap"}
        bible = view.story.bible
        characters = [c.model_copy(update={"look": looks.get(c.name, c.look)}) for c in bible.characters]
        await service.edit_bible(view.story.id, bible.model_copy(update={"characters": characters}))
        for character in characters[:2]:
            await service.paint_portrait(view.story.id, character.name)
        window.actions_.show_bible.setChecked(True)
        bible = window.bible_panel
        await wait_for(lambda: bible.story is not None and bible.story.id == view.story_id)
        window.resizeDocks([bible], [380], Qt.Orientation.Horizontal)
        bible.characters.select(0)
        await asyncio.sleep(0.2)
        save(window, "bible")
        window.actions_.show_bible.setChecked(False)

        # What was asked of the painter for the second scene, and how its picture was made.
        from desktop.ui.story.asked_dialog import show_what_was_asked
        from desktop.ui.story.scene_commands import SceneCommand

        second = view.cards[1]
        assert second.scene is not None
        asked = show_what_was_asked(second.scene, window)
        asked.resize(720, 340)
        await asyncio.sleep(0.2)
        save(asked, "asked")
        asked.close()

        # More images: three candidates for the second scene beside the picture it shows.
        view.commands.run(SceneCommand.more_images, second)
        await wait_for(lambda: view.commands.candidates is not None)
        candidates = view.commands.candidates
        assert candidates is not None
        await wait_for(lambda: all(not c.picture.pixmap().isNull() for c in candidates.choices.values()))
        await asyncio.sleep(0.2)
        save(candidates, "candidates")
        candidates.close()

        # Export: the finished story as an EPUB, with what it wrote.
        from desktop.ui.export.export_dialog import ExportDialog

        window.export_story()
        export = window.findChild(ExportDialog)
        assert export is not None
        export.format_box.setCurrentIndex(export.format_box.findText("EPUB", Qt.MatchFlag.MatchStartsWith))
        export.path_edit.setText(str(folder / "exports" / "The Lighthouse at the End of the Map.epub"))
        export.export()
        await wait_for(lambda: getattr(export, "exported", None) is not None)
        await asyncio.sleep(0.1)
        save(export, "export")
        export.close()

        # History: the first scene edited by hand, then painted again; the History compares its first painting.
        first = view.cards[0].scene
        assert first is not None
        edited = first.text.replace(".", ", under the last of the winter light.", 1)
        await service.edit_scene(first.id, first.title, edited)
        await service.regenerate_image(first.id)
        window.open_history(first.id)
        history = window.history_dialogs[first.id]
        history.resize(1100, 760)
        await wait_for(lambda: history.loads >= 1)
        history.list_view.setCurrentIndex(history.model.index(2))  # version 2: the first painting, before the edit
        await wait_for(lambda: history.this_picture.note == "" and history.current_picture.note == "")
        await asyncio.sleep(0.2)
        save(history, "history")
        history.close()

        # The Trash: a story and a scene of another deleted.
        trash = runtime.session.trash
        stories = await service.library_page("", 10, 0)
        await trash.delete_story(next(row.id for row in stories if row.title == "Copper Bells"))
        orchard = await service.open(next(row.id for row in stories if row.title == "Winter Orchard"))
        assert orchard is not None
        await trash.delete_scene(orchard.scenes[1].id)
        window.show_trash()
        dialog = window.trash_dialog
        assert dialog is not None
        dialog.resize(760, 520)
        await wait_for(lambda: dialog.loads >= 1)
        await asyncio.sleep(0.1)
        save(dialog, "trash")
        dialog.close()

        window.open_viewer(1)
        viewer = window.viewer
        assert viewer is not None
        viewer.resize(1100, 780)
        await wait_for(lambda: not viewer.canvas.item.pixmap().isNull())
        viewer.canvas.fit()
        await asyncio.sleep(0.1)
        save(viewer, "viewer")
        viewer.close()

        # The bucket's size limit refuses the next story's images: the Uploads panel shows why.
        service.reconfigure(settings.model_copy(update={"offline_delay": 0.0}))
        storage.size_limit = 10
        refused = await service.generate(StoryRequest(title=REFUSED[0], prompt=REFUSED[1], scene_count=2))
        await runtime.session.uploads.wait_settled()
        window.library_panel.select_story(refused.id)
        await wait_for(lambda: view.story is not None and view.story.id == refused.id and len(view.cards) == 2)
        await wait_for(lambda: all(card.placeholder_text is None for card in view.cards.values()))
        panel = window.uploads_panel
        await wait_for(lambda: panel.model.counts()[1] == 2)
        window.show_uploads()
        window.resizeDocks([panel], [260], Qt.Orientation.Vertical)
        failed = next(row for row, upload in enumerate(panel.model.uploads()) if upload.status is UploadStatus.failed)
        panel.table.selectRow(failed)
        await asyncio.sleep(0.2)
        save(window, "uploads")

        # Settings, with an OpenAI-compatible server (a loopback stand-in for Ollama) tested.
        window.open_settings()
        dialog = window.settings_dialog
        assert dialog is not None
        dialog.resize(760, 660)
        with ModelListServer() as models:
            dialog.text_provider.setCurrentIndex(dialog.text_provider.findData("openai"))
            dialog.openai_url.setText(f"{models.url}/v1")
            dialog.openai_model.setText("story-model")
            dialog.openai_key.edit.setText(models.api_key)
            dialog.text_test.button.click()
            await wait_for(lambda: dialog.text_test.result.text().startswith("✓"))
        await asyncio.sleep(0.1)
        save(dialog, "settings")
        dialog.reject()

        window.shutdown()
        await runtime.shutdown()
        window.deleteLater()
    finally:
        storage.stop()
        await asyncio.wrap_future(starter.submit(server.stop))
        starter.shutdown(wait=True)
        if server.cluster_dir.exists() and not server.cluster_dir.is_relative_to(folder):
            shutil.rmtree(server.cluster_dir, ignore_errors=True)


def main() -> int:
    from desktop.qt.loop import EventLoop

    with tempfile.TemporaryDirectory(prefix="storyforge-screenshots-") as temporary:
        folder = Path(temporary)
        # Nothing of the writer's own: settings, logs, keyring and window state all stay in the temporary folder.
        os.environ["STORYFORGE_CONFIG_DIR"] = str(folder / "config")
        os.environ["STORYFORGE_LOG_DIR"] = str(folder / "logs")
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Storyforge")
        app.setQuitOnLastWindowClosed(False)  # as in the app: the loop ends when the work is done
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder / "qsettings"))
        from desktop.logs import setup_logging
        from desktop.qt.messages import route_qt_messages_to_log

        setup_logging(folder / "logs")
        route_qt_messages_to_log()
        with asyncio.Runner(loop_factory=lambda: EventLoop(app)) as runner:
            runner.run(shoot(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
