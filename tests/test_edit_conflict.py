"""Two devices on one library never lose an edit: a scene saved on one shows on the other within seconds, and words
typed from a version that has since changed elsewhere are not written over it — the writer sees both and chooses.

Two windows, each with its own data folder and Runtime, share one real PostgreSQL, as two computers share a
Supabase database; each sees the other's changes through live refresh.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop.config import Settings
from desktop.db.repositories import SceneRepository, StoryRepository
from desktop.db.repositories.scenes import StaleRevision
from desktop.models import ImageStatus, Scene, Story, StoryRequest, StoryStatus, UploadStatus
from desktop.ui.story.edit_conflict import EditConflictView, both_texts
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.story.scene_editor import CHANGED_ELSEWHERE
from desktop.ui.story.story_view import StoryView
from tests.support.ui_fixtures import WriterApp, write_story
from tests.test_ui_edit_guard import a_written_story, asked, open_questions, stored, type_into

Run = Callable[..., Any]
MINE = "Mara counted the grafts twice, and the second count was kinder."
THEIRS = "The orchard slept under a crust of snow; only the crows were awake."
SECONDS = 10_000  # what "within seconds" may take on a busy test machine
Devices = tuple[WriterApp, WriterApp]


@pytest.fixture
def open_devices(ui_settings: Settings, run: Run, qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Devices]]:
    """`open_devices()`: a laptop and a desktop — the same writer and database, each with its own data folder;
    `laptop=` and `desktop=` change their settings."""
    apps: list[WriterApp] = []

    def open_two(laptop: dict[str, Any] | None = None, desktop: dict[str, Any] | None = None) -> Devices:
        for name, changes in (("laptop", laptop or {}), ("desktop", desktop or {})):
            app = WriterApp(ui_settings.model_copy(update={"data_dir": tmp_path / name, **changes}), run, qtbot)
            apps.append(app)
            app.start()
            live = app.session.live
            assert live is not None and live.listening, live and live.off_reason
        return apps[0], apps[1]

    yield open_two
    for app in apps:
        app.close()


@pytest.fixture
def two_devices(open_devices: Callable[..., Devices]) -> Devices:
    return open_devices()


def open_on(app: WriterApp, qtbot: Any, story: Story) -> None:
    """Pick the story in the library, as the writer does on the other device."""
    window = app.window
    library = window.library
    qtbot.waitUntil(lambda: library.row_of(story.id) is not None, timeout=SECONDS)
    row = library.row_of(story.id)
    assert row is not None
    window.library_view.setCurrentIndex(library.index(row))
    view = window.story_view
    qtbot.waitUntil(
        lambda: view.story is not None and view.story.id == story.id and len(view.cards) == story.scene_count,
        timeout=SECONDS,
    )


def both_open(two_devices: Devices, qtbot: Any, scenes: int = 2) -> tuple[SceneCard, SceneCard]:
    """A story written on the laptop and open on both; scene 1's card on each."""
    laptop, desktop = two_devices
    story = a_written_story(laptop, qtbot, scenes=scenes).story_view.story
    assert story is not None
    open_on(desktop, qtbot, story)
    return laptop.window.story_view.cards[0], desktop.window.story_view.cards[0]


def save_on(qtbot: Any, card: SceneCard, text: str) -> None:
    """Edit the card, write `text` over the whole scene, press Ctrl+S and wait until it is stored."""
    editor = type_into(qtbot, card, text, replace=True)
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not card.is_editing and card.busy_text == "", timeout=SECONDS)
    assert card.text == text


def stored_on(qtbot: Any, card: SceneCard, text: str) -> None:
    """Wait until the card's save is over and it shows `text` (what the service stored)."""
    qtbot.waitUntil(lambda: not card.is_editing and card.busy_text == "" and card.text == text, timeout=SECONDS)


def conflict_view(qtbot: Any, window: QWidget) -> EditConflictView:
    def shown() -> list[EditConflictView]:
        return [v for v in window.findChildren(EditConflictView) if shiboken6.isValid(v) and v.isVisible()]

    qtbot.waitUntil(lambda: len(shown()) == 1, timeout=SECONDS)
    return shown()[0]


def no_conflict_view(window: QWidget) -> bool:
    return not any(shiboken6.isValid(v) and v.isVisible() for v in window.findChildren(EditConflictView))


def scene_on(app: WriterApp, run: Run, card: SceneCard) -> Scene:
    assert card.scene is not None
    return stored(app, run, card.scene.id)


# --- seeing each other's edits ---------------------------------------------------------------------------------------


def test_a_scene_saved_on_one_device_shows_on_the_other_within_seconds(
    two_devices: Devices, run: Run, qtbot: Any
) -> None:
    laptop, desktop = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)

    save_on(qtbot, on_desktop, THEIRS)
    qtbot.waitUntil(lambda: on_laptop.text == THEIRS, timeout=SECONDS)
    assert scene_on(laptop, run, on_laptop).text == THEIRS

    save_on(qtbot, on_laptop, MINE)  # saved from the version it shows: no question
    assert no_conflict_view(laptop.window)
    qtbot.waitUntil(lambda: on_desktop.text == MINE, timeout=SECONDS)
    assert scene_on(desktop, run, on_desktop).text == MINE


def test_a_version_read_before_a_newer_one_was_shown_does_not_take_the_card_back(
    two_devices: Devices, run: Run, qtbot: Any
) -> None:
    laptop, _ = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)
    before = scene_on(laptop, run, on_laptop)
    save_on(qtbot, on_desktop, THEIRS)
    qtbot.waitUntil(lambda: on_laptop.text == THEIRS, timeout=SECONDS)

    service = laptop.session.stories
    assert service is not None
    service.scene_saved.emit(before)  # live refresh read the scene just before the save landed; it arrives late
    assert on_laptop.text == THEIRS and on_laptop.scene is not None and on_laptop.scene.text == THEIRS


def test_an_editor_opened_but_untouched_follows_the_other_device(two_devices: Devices, run: Run, qtbot: Any) -> None:
    laptop, _ = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)
    editor = type_into(qtbot, on_laptop, "")  # Edit pressed, nothing typed yet

    save_on(qtbot, on_desktop, THEIRS)
    qtbot.waitUntil(lambda: editor.text_edit.toPlainText() == THEIRS, timeout=SECONDS)
    assert editor.note_text == ""  # nothing of the writer's to keep: no note, no question

    qtbot.keyClick(editor.text_edit, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.text_edit, " And the crows left.")
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not on_laptop.is_editing and on_laptop.busy_text == "", timeout=SECONDS)
    assert no_conflict_view(laptop.window)
    assert scene_on(laptop, run, on_laptop).text == THEIRS + " And the crows left."


# --- a save over a version changed elsewhere ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        ("Keep mine", MINE),
        ("Keep theirs", THEIRS),
        ("Keep both", both_texts(THEIRS, MINE)),
    ],
)
def test_saving_over_a_version_changed_on_another_device_asks_which_to_keep(
    two_devices: Devices, run: Run, qtbot: Any, keep: str, expected: str
) -> None:
    laptop, desktop = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)
    original = on_laptop.text
    editor = type_into(qtbot, on_laptop, MINE, replace=True)  # the laptop's writer is typing…

    save_on(qtbot, on_desktop, THEIRS)  # …while the desktop saves another text for the same scene
    qtbot.waitUntil(lambda: editor.note_text == CHANGED_ELSEWHERE, timeout=SECONDS)
    assert editor.note.isVisible()
    assert on_laptop.is_editing and editor.text_edit.toPlainText() == MINE  # the typing is left alone

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    view = conflict_view(qtbot, laptop.window)
    assert view.windowTitle() == "Changed on another device"
    assert view.theirs_view.toPlainText() == THEIRS and view.mine_view.toPlainText() == MINE
    assert view.theirs_view.isReadOnly() and view.mine_view.isReadOnly()
    assert scene_on(laptop, run, on_laptop).text == THEIRS  # nothing written over it yet
    assert original not in (THEIRS, MINE)

    button = {"Keep mine": view.mine_button, "Keep theirs": view.theirs_button, "Keep both": view.both_button}[keep]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: no_conflict_view(laptop.window), timeout=SECONDS)
    qtbot.waitUntil(
        lambda: not on_laptop.is_editing and on_laptop.busy_text == "" and on_laptop.text == expected,
        timeout=SECONDS,
    )
    assert scene_on(laptop, run, on_laptop).text == expected
    qtbot.waitUntil(lambda: on_desktop.text == expected, timeout=SECONDS)  # and the other device shows it
    assert no_conflict_view(desktop.window) and not open_questions(laptop.window)


def test_closing_the_conflict_view_keeps_the_words_in_the_editor_and_saving_asks_again(
    two_devices: Devices, run: Run, qtbot: Any
) -> None:
    laptop, _ = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)
    editor = type_into(qtbot, on_laptop, MINE, replace=True)
    save_on(qtbot, on_desktop, THEIRS)
    qtbot.waitUntil(lambda: editor.note_text == CHANGED_ELSEWHERE, timeout=SECONDS)

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    view = conflict_view(qtbot, laptop.window)
    qtbot.keyClick(view, Qt.Key.Key_Escape)  # decide later
    qtbot.waitUntil(lambda: no_conflict_view(laptop.window), timeout=SECONDS)
    assert on_laptop.is_editing and editor.text_edit.toPlainText() == MINE
    assert editor.note_text == CHANGED_ELSEWHERE
    assert scene_on(laptop, run, on_laptop).text == THEIRS

    again = "Snow again, and the crows gone."
    save_on(qtbot, on_desktop, again)  # changed once more while the laptop hesitates
    qtbot.keyClick(editor.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    view = conflict_view(qtbot, laptop.window)
    qtbot.waitUntil(lambda: view.theirs_view.toPlainText() == again, timeout=SECONDS)

    last = "The last word on the desktop."
    save_on(qtbot, on_desktop, last)  # and again while the view is open: it shows the newest
    qtbot.waitUntil(lambda: view.theirs_view.toPlainText() == last, timeout=SECONDS)
    qtbot.mouseClick(view.both_button, Qt.MouseButton.LeftButton)
    expected = both_texts(last, MINE)
    stored_on(qtbot, on_laptop, expected)
    assert scene_on(laptop, run, on_laptop).text == expected
    assert no_conflict_view(laptop.window)  # kept beside the newest: nothing more to ask
    qtbot.waitUntil(lambda: on_desktop.text == expected, timeout=SECONDS)


def test_text_regenerated_on_another_device_while_i_edit_asks_which_to_keep(
    two_devices: Devices, run: Run, qtbot: Any
) -> None:
    laptop, _ = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)
    generated = on_desktop.text
    editor = type_into(qtbot, on_laptop, MINE, replace=True)

    qtbot.mouseClick(on_desktop.rewrite_button, Qt.MouseButton.LeftButton)  # never edited by hand: no question
    qtbot.waitUntil(lambda: on_desktop.busy_text == "" and on_desktop.text != generated, timeout=SECONDS)
    regenerated = on_desktop.text
    qtbot.waitUntil(lambda: editor.note_text == CHANGED_ELSEWHERE, timeout=SECONDS)
    assert editor.text_edit.toPlainText() == MINE

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    view = conflict_view(qtbot, laptop.window)
    assert view.theirs_view.toPlainText() == regenerated
    qtbot.mouseClick(view.both_button, Qt.MouseButton.LeftButton)
    expected = both_texts(regenerated, MINE)
    stored_on(qtbot, on_laptop, expected)
    assert scene_on(laptop, run, on_laptop).text == expected
    qtbot.waitUntil(lambda: on_desktop.text == expected, timeout=SECONDS)


def test_a_text_regenerated_here_while_another_device_saved_an_edit_asks_which_to_keep(
    open_devices: Callable[..., Devices], run: Run, qtbot: Any
) -> None:
    _, desktop = devices = open_devices(desktop={"offline_delay": 5.0})  # the desktop writes slowly
    on_laptop, on_desktop = both_open(devices, qtbot)
    generated = on_desktop.text

    qtbot.mouseClick(on_desktop.rewrite_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: on_desktop.is_live, timeout=SECONDS)  # the new text streams in…
    save_on(qtbot, on_laptop, MINE)  # …while the laptop saves an edit of the same scene

    view = conflict_view(qtbot, desktop.window)  # the new text is not written over the edit unasked
    regenerated = view.mine_view.toPlainText()
    assert view.theirs_view.toPlainText() == MINE and regenerated not in ("", MINE, generated)
    assert scene_on(desktop, run, on_desktop).text == MINE
    qtbot.mouseClick(view.theirs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: no_conflict_view(desktop.window), timeout=SECONDS)
    assert not on_desktop.is_editing and on_desktop.text == MINE and on_desktop.busy_text == ""
    assert scene_on(desktop, run, on_desktop).text == MINE and on_laptop.text == MINE


def test_quitting_with_the_conflict_view_open_asks_nothing_more_and_quits_once_it_is_answered(
    two_devices: Devices, run: Run, qtbot: Any
) -> None:
    laptop, _ = two_devices
    on_laptop, on_desktop = both_open(two_devices, qtbot)
    quits: list[bool] = []
    laptop.window.close_requested.connect(lambda: quits.append(True))
    editor = type_into(qtbot, on_laptop, MINE, replace=True)
    save_on(qtbot, on_desktop, THEIRS)
    qtbot.waitUntil(lambda: editor.note_text == CHANGED_ELSEWHERE, timeout=SECONDS)

    laptop.window.close()  # unsaved words: the usual question first
    asked(qtbot, laptop.window, "Save")
    view = conflict_view(qtbot, laptop.window)  # the save found the newer version: quitting waits for a choice
    assert not quits
    laptop.window.close()  # asked again meanwhile: the open view is the one answer
    assert not open_questions(laptop.window) and not quits
    qtbot.mouseClick(view.mine_button, Qt.MouseButton.LeftButton)
    stored_on(qtbot, on_laptop, MINE)
    assert scene_on(laptop, run, on_laptop).text == MINE
    qtbot.waitUntil(lambda: bool(quits), timeout=SECONDS)  # only once the words are stored


# --- the revision, in the database ---------------------------------------------------------------------------------


def test_the_revision_moves_with_the_text_only_and_a_stale_write_changes_nothing(
    stories: StoryRepository, scenes: SceneRepository, run: Run
) -> None:
    story = run(stories.create(Story.create(StoryRequest(title="Salt", prompt="A road."), user_id=uuid.uuid4())))
    scene = run(scenes.save(Scene.create(story.id, 0, "Dawn", "The road was white.")))
    assert scene.revision == 0

    painted = run(scenes.set_image(scene.id, ImageStatus.painted, path="/tmp/x.png"))
    assert painted.revision == 0  # an image is not a change to what the writer edits
    edited = run(scenes.update_text(scene.id, "Dawn", "The road was grey.", revision=0))
    assert edited.revision == 1
    same = run(scenes.update_text(scene.id, "Dawn", "The road was grey.", revision=1))
    assert same.revision == 1  # saved, unchanged: nothing moved

    with pytest.raises(StaleRevision) as stale:
        run(scenes.update_text(scene.id, "Dawn", "Written from the first version.", revision=0))
    assert stale.value.current.text == "The road was grey." and stale.value.current.revision == 1
    with pytest.raises(StaleRevision):
        run(scenes.replace_text(scene.id, "Dawn", "Regenerated from the first version.", "", revision=0))
    assert run(scenes.get(scene.id)).text == "The road was grey."

    regenerated = run(scenes.replace_text(scene.id, "Dusk", "A new text.", "a road", revision=1))
    assert regenerated.revision == 2 and regenerated.edited_at is None
    resaved = run(scenes.save(regenerated.model_copy(update={"text": "Upserted."})))
    assert resaved.revision == 3  # written again by a run: the database moves it, whatever the model said
    with pytest.raises(LookupError):
        run(scenes.update_text(uuid.uuid4(), "Gone", "Nothing.", revision=0))


# --- two devices writing at once ------------------------------------------------------------------------------------


def test_two_devices_writing_stories_at_once_both_finish_and_their_uploads_never_collide(
    open_devices: Callable[..., Devices], ui_settings: Settings, run: Run, qtbot: Any
) -> None:
    slowly = {"offline_delay": 1.5}  # a second a scene: the two runs overlap
    apps = open_devices(laptop=slowly, desktop=slowly)
    for app, title in zip(apps, ("North Light", "South Wind"), strict=True):
        write_story(app.window, qtbot, title, "Two lighthouse keepers trade letters.", 3)
    views = [app.window.story_view for app in apps]
    qtbot.waitUntil(
        lambda: all(view.story is not None and view.story.status is StoryStatus.generating for view in views),
        timeout=SECONDS,
    )  # both at once
    story_ids = {view.story.id for view in views if view.story is not None}
    assert len(story_ids) == 2  # each device writes its own

    def uploaded(view: StoryView) -> bool:
        cards = view.cards.values()
        return len(cards) == 3 and all(c.upload is not None and c.upload.status is UploadStatus.uploaded for c in cards)

    qtbot.waitUntil(
        lambda: all(v.story is not None and v.story.status is StoryStatus.complete and uploaded(v) for v in views),
        timeout=60_000,
    )
    manager = apps[0].session.uploads
    uploads = [upload for story_id in story_ids for upload in run(manager.uploads(story_id=story_id))]
    assert len(uploads) == 6 and all(upload.status is UploadStatus.uploaded for upload in uploads)
    assert len({upload.object_path for upload in uploads}) == 6
    for upload in uploads:
        assert upload.object_path.startswith(f"{ui_settings.user_id}/{upload.story_id}/")
    for app in apps:  # and each window lists both stories
        qtbot.waitUntil(lambda app=app: app.window.library.rowCount() == 2, timeout=SECONDS)
