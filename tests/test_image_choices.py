"""How a picture was made, and the choices a writer has over it (issue 18): every picture records its provider, model,
seed, size, prompt and style; Repaint asks again with the same seed or a new one; "More images" paints candidates
the writer picks from, the others staying in the History; and a character's portrait is painted from their look.

Real Postgres, the real UploadManager with supabase-py against the loopback Storage server, and the loopback
Automatic1111 server where what reaches the image server matters (its seeds, sizes and prompts).
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import asyncpg
import pytest
from PIL import Image

from desktop.bible import Bible, Character
from desktop.config import Settings
from desktop.generation.a1111 import a1111_label
from desktop.generation.errors import ProviderError
from desktop.models import Scene, StoryRequest, UploadStatus, VersionMaker
from desktop.services.portraits import PORTRAIT_SIZE
from tests.support.a1111_server import IP_ADAPTER_CONTROLNET, TXT2IMG, FakeA1111Server
from tests.support.http_faults import png_bytes
from tests.support.storage_fixtures import BUCKET, supabase_settings_for
from tests.support.storage_server import StorageServer
from tests.support.workbench_fixtures import MakeWorkbench, Workbench

from .conftest import Run

BIBLE = Bible(
    style="Ink and watercolour, grey-green palette, early morning",
    characters=[
        Character(name="Maren Holt", role="the keeper", look="tall, red braid, oilskin coat"),
        Character(name="Ole", role="her brother", look="small, freckled, a blue knitted cap"),
    ],
)
REQUEST = StoryRequest(
    title="The Lamp at Skerry",
    prompt="Maren Holt keeps the lighthouse on Skerry; her brother Ole rows out in a storm.",
    scene_count=2,
    bible=BIBLE,
)


@pytest.fixture
def settings(storage_server: StorageServer, a1111_server: FakeA1111Server, tmp_path: Path) -> Settings:
    return supabase_settings_for(
        storage_server, tmp_path / "data", image_provider="a1111", a1111_url=a1111_server.url, image_candidates=3
    )


def written(bench: Workbench, run: Run) -> list[Scene]:
    story = run(bench.stories.generate(REQUEST), timeout=60)
    run(bench.uploads.wait_settled(story.id))
    opened = run(bench.stories.open(story.id))
    assert opened is not None
    return opened.scenes


def paint_a_new_picture_each_time(server: FakeA1111Server) -> None:
    """A real server paints a new picture for each seed; the fake's is the same unless told (same bytes, same file)."""
    count = iter(range(1, 10_000))

    def new_picture(_: str) -> str:
        shade = next(count) * 37 % 256
        server.image_bytes = png_bytes(128, 96, (shade, 255 - shade, 90))
        return ""  # no fault

    server.image_failure = new_picture


def seeds_sent(server: FakeA1111Server) -> list[int]:
    return [entry.body["seed"] for entry in server.requests_to(TXT2IMG)]


def test_each_picture_records_how_it_was_made_and_repaint_keeps_or_changes_the_seed(
    make_workbench: MakeWorkbench, settings: Settings, a1111_server: FakeA1111Server, run: Run
) -> None:
    bench = make_workbench(settings)
    paint_a_new_picture_each_time(a1111_server)
    first, second = written(bench, run)
    made = first.image_made
    assert made.provider == a1111_label(a1111_server.url)
    assert made.seed in seeds_sent(a1111_server)
    assert made.prompt == first.asked_image and made.prompt in a1111_server.prompts()
    assert (made.width, made.height) == (128, 96)  # the picture the server sent back, as it is
    assert made.style == BIBLE.style
    assert second.image_made.seed != made.seed  # each scene has its own seed, made from the story's

    same = run(bench.stories.regenerate_image(first.id, same_seed=True), timeout=30)
    assert seeds_sent(a1111_server)[-1] == made.seed
    assert same.image_made.seed == made.seed

    fresh = run(bench.stories.regenerate_image(first.id), timeout=30)
    assert seeds_sent(a1111_server)[-1] == fresh.image_made.seed != made.seed

    # Each version keeps the record of its own picture.
    versions = run(bench.history.versions(first.id)).versions
    painted = [v.image_made.seed for v in versions if v.made_by is VersionMaker.painted]
    assert painted[:2] == [fresh.image_made.seed, made.seed]


def test_more_images_paints_candidates_the_writer_picks_one_and_the_others_stay_in_history(
    make_workbench: MakeWorkbench,
    settings: Settings,
    a1111_server: FakeA1111Server,
    storage_server: StorageServer,
    pool: asyncpg.Pool,
    run: Run,
) -> None:
    bench = make_workbench(settings)
    scene = written(bench, run)[0]
    paint_a_new_picture_each_time(a1111_server)
    candidates = run(bench.stories.paint_candidates(scene.id), timeout=60)

    assert len(candidates) == 3 and {c.made_by for c in candidates} == {VersionMaker.candidate}
    assert len({c.image_path for c in candidates}) == 3
    assert len({c.image_made.seed for c in candidates}) == 3
    unchanged = run(bench.stories.open(scene.story_id))
    assert unchanged is not None and unchanged.scenes[0].image_path == scene.image_path  # nothing shown unasked

    chosen = candidates[1]
    picked = run(bench.history.pick(chosen.id), timeout=30)
    assert picked.image_path == chosen.image_path and picked.image_made == chosen.image_made
    run(bench.uploads.wait_settled(scene.story_id))
    object_path = run(pool.fetchval("SELECT object_path FROM uploads WHERE scene_id = $1", scene.id))
    status = run(pool.fetchval("SELECT status FROM uploads WHERE scene_id = $1", scene.id))
    assert status == UploadStatus.uploaded.value
    assert storage_server.object_data(BUCKET, object_path) == Path(chosen.image_path).read_bytes()

    history = run(bench.history.versions(scene.id)).versions
    assert history[0].made_by is VersionMaker.picked and history[0].what_made_it.startswith("picked")
    assert {c.id for c in candidates} <= {v.id for v in history}  # the two not picked are still there

    run(bench.history.undo(scene.story_id))
    back = run(bench.stories.open(scene.story_id))
    assert back is not None and back.scenes[0].image_path == scene.image_path


def test_candidates_that_cannot_be_painted_say_why_and_the_scene_keeps_its_picture(
    make_workbench: MakeWorkbench, settings: Settings, a1111_server: FakeA1111Server, run: Run
) -> None:
    bench = make_workbench(settings)
    scene = written(bench, run)[0]
    calls = iter(["", "no_images", "no_images"])
    a1111_server.image_failure = lambda _: next(calls)
    some = run(bench.stories.paint_candidates(scene.id, 3), timeout=60)
    assert len(some) == 1  # the one that was painted is offered; the others failed with a reason

    a1111_server.image_failure = lambda _: "no_images"
    with pytest.raises(ProviderError, match="without an image"):
        run(bench.stories.paint_candidates(scene.id, 2), timeout=60)
    again = run(bench.stories.open(scene.story_id))
    assert again is not None and again.scenes[0].image_path == scene.image_path


def test_a_portrait_is_painted_from_the_look_and_kept_in_the_bible(
    make_workbench: MakeWorkbench, settings: Settings, a1111_server: FakeA1111Server, pool: asyncpg.Pool, run: Run
) -> None:
    bench = make_workbench(settings)
    story_id = written(bench, run)[0].story_id
    a1111_server.image_bytes = png_bytes(PORTRAIT_SIZE, PORTRAIT_SIZE, (90, 120, 150))

    story = run(bench.stories.paint_portrait(story_id, "Ole"), timeout=30)
    ole = next(c for c in story.bible.characters if c.name == "Ole")
    sent = a1111_server.requests_to(TXT2IMG)[-1].body
    assert "Portrait of Ole, her brother" in sent["prompt"] and "blue knitted cap" in sent["prompt"]
    assert BIBLE.style in sent["prompt"]
    assert (sent["width"], sent["height"]) == (PORTRAIT_SIZE, PORTRAIT_SIZE)
    assert ole.portrait_seed == sent["seed"]
    with Image.open(ole.portrait) as portrait:
        assert portrait.size == (PORTRAIT_SIZE, PORTRAIT_SIZE)
    made_by = run(
        pool.fetchval("SELECT made_by FROM bible_versions WHERE story_id = $1 ORDER BY number DESC", story_id)
    )
    assert made_by == "portrait"
    # The rest of the bible is as it was.
    assert next(c for c in story.bible.characters if c.name == "Maren Holt").portrait == ""


def test_a_story_purged_from_the_trash_takes_its_portraits_but_not_its_copys(
    make_workbench: MakeWorkbench, settings: Settings, a1111_server: FakeA1111Server, run: Run
) -> None:
    bench = make_workbench(settings)
    story_id = written(bench, run)[0].story_id
    a1111_server.image_bytes = png_bytes(PORTRAIT_SIZE, PORTRAIT_SIZE, (90, 120, 150))
    first = run(bench.stories.paint_portrait(story_id, "Ole"), timeout=30)
    a1111_server.image_bytes = png_bytes(PORTRAIT_SIZE, PORTRAIT_SIZE, (150, 120, 90))
    second = run(bench.stories.paint_portrait(story_id, "Maren Holt"), timeout=30)
    copy = run(bench.stories.duplicate(story_id), timeout=30)
    shared = next(c.portrait for c in copy.bible.characters if c.name == "Maren Holt")
    only_first = next(c.portrait for c in first.bible.characters if c.name == "Ole")
    assert shared and Path(shared).exists() and Path(only_first).exists()
    run(bench.stories.paint_portrait(story_id, "Maren Holt"), timeout=30)  # a third; the second is in a version

    run(bench.trash.delete_story(story_id))
    run(bench.trash.empty())
    assert Path(shared).exists()  # the copy's bible still shows it
    assert second.id == story_id
    run(bench.trash.delete_story(copy.id))
    run(bench.trash.empty())
    assert not Path(shared).exists()


def test_a_painter_with_ip_adapter_gets_the_portraits_of_those_in_the_scene_and_the_record_names_them(
    make_workbench: MakeWorkbench, settings: Settings, a1111_server: FakeA1111Server, run: Run
) -> None:
    a1111_server.controlnet = dict(IP_ADAPTER_CONTROLNET)
    bench = make_workbench(settings)
    first = written(bench, run)[0]
    assert all(script is None for script in a1111_server.alwayson_scripts())  # no portraits yet: nothing sent
    portrait = png_bytes(PORTRAIT_SIZE, PORTRAIT_SIZE, (90, 120, 150))
    a1111_server.image_bytes = portrait
    run(bench.stories.paint_portrait(first.story_id, "Maren Holt"), timeout=30)
    ability = run(bench.stories.image_abilities())
    assert ability.reference and ability.seed

    paint_a_new_picture_each_time(a1111_server)
    painted = run(bench.stories.regenerate_image(first.id), timeout=30)
    assert "Maren" in f"{first.title} {first.image_prompt} {first.text}"  # the offline writer keeps to the bible
    units = (a1111_server.alwayson_scripts()[-1] or {})["controlnet"]["args"]
    assert [base64.b64decode(unit["image"]) for unit in units] == [portrait]  # only Maren has a portrait
    assert painted.image_made.references == ["Maren Holt"]


def test_two_portraits_painted_at_once_are_both_kept(
    make_workbench: MakeWorkbench, settings: Settings, a1111_server: FakeA1111Server, run: Run
) -> None:
    bench = make_workbench(settings)
    story_id = written(bench, run)[0].story_id
    paint_a_new_picture_each_time(a1111_server)

    async def both() -> None:
        await asyncio.gather(
            bench.stories.paint_portrait(story_id, "Ole"), bench.stories.paint_portrait(story_id, "Maren Holt")
        )

    run(both(), timeout=30)
    story = run(bench.stories.story(story_id))
    assert all(character.portrait for character in story.bible.characters)
