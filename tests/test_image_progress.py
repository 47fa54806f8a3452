"""How far a picture is, from painters that can tell (issue 14 item 5): Automatic1111's POST /internal/progress for
the task a txt2img names, shown on the story's progress line and on the scene card ("Painting… 50 %").

The loopback WebUI paints a named task in steps, one for each time its progress is asked, so the test needs no
clock; an older WebUI without the route paints without progress, asked once.
"""

from __future__ import annotations

from typing import Any

from desktop.models import StoryRequest
from tests.support.a1111_server import PROGRESS, TXT2IMG, FakeA1111Server
from tests.support.generation_fixtures import MakeService, SignalLog
from tests.support.ui_fixtures import write_story

from .conftest import Run

REQUEST = StoryRequest(title="The Slow Lamp", prompt="Maren waits for the lamp to warm.", scene_count=2)


def test_the_webui_says_how_far_each_picture_is_and_the_service_passes_it_on(
    make_story_service: MakeService, a1111_server: FakeA1111Server, run: Run
) -> None:
    a1111_server.progress_steps = 4
    service = make_story_service(image_provider="a1111", a1111_url=a1111_server.url)
    signals = SignalLog(service)
    fractions: dict[Any, list[float]] = {}
    service.image_progress.connect(lambda scene_id, fraction: fractions.setdefault(scene_id, []).append(fraction))
    story = run(service.generate(REQUEST), timeout=60)
    assert story.status.value == "complete"

    tasks = {entry.body["force_task_id"] for entry in a1111_server.requests_to(TXT2IMG)}
    asked = {entry.body["id_task"] for entry in a1111_server.requests_to(PROGRESS)}
    assert len(tasks) == 2 and asked == tasks  # each picture's own task, never another's
    assert len(fractions) == 2
    for told in fractions.values():
        assert told == sorted(told) and told[0] > 0 and told[-1] == 0.75  # 1.0 is the picture itself
    lines = [line for _story_id, line in signals.of("story_progress")]
    assert any(line.startswith("Painting scene 1…") and line.endswith("%") for line in lines)


def test_an_older_webui_without_progress_paints_all_the_same_and_is_asked_once_a_picture(
    make_story_service: MakeService, a1111_server: FakeA1111Server, run: Run
) -> None:
    a1111_server.progress_steps = 0
    a1111_server.progress_enabled = False  # its /internal/progress answers 404
    service = make_story_service(image_provider="a1111", a1111_url=a1111_server.url)
    story = run(service.generate(REQUEST), timeout=60)
    assert story.status.value == "complete"
    assert len(a1111_server.requests_to(PROGRESS)) <= 2  # at most once for each of the two pictures


def test_the_scene_card_shows_how_far_its_picture_is(open_app: Any, qtbot: Any, a1111_server: FakeA1111Server) -> None:
    a1111_server.progress_steps = 6
    app = open_app(image_provider="a1111", a1111_url=a1111_server.url)
    write_story(app.window, qtbot, "The Slow Lamp", "Maren waits for the lamp to warm.", 1)
    view = app.window.story_view
    seen: set[str] = set()

    def painting_with_a_figure() -> bool:
        card = view.cards.get(0)
        text = card.placeholder_text if card is not None else None
        if text:
            seen.add(text)
        return any(said.startswith("Painting… ") and said.endswith(" %") for said in seen)

    qtbot.waitUntil(painting_with_a_figure, timeout=20_000)
    qtbot.waitUntil(lambda: view.cards[0].placeholder_text is None, timeout=20_000)  # the picture, once painted
