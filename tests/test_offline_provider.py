"""The offline generator: a coherent arc from the writer's own words, deterministic for a seed, streamed, and real
pictures that follow the scene."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image, ImageStat

from desktop.generation.base import OFFLINE_LABEL, ImageRequest, SceneStreaming, SceneWritten, TextEvent, TextRequest
from desktop.generation.offline_image import OfflineImageProvider, paint_scene
from desktop.generation.offline_text import OfflineStory, OfflineTextProvider
from desktop.qt.executor import QThreadPoolExecutor

PROMPT = (
    "Mira, a lighthouse keeper in the village of Harrow, finds a brass key in the belly of a fish. "
    "Her brother Tobin thinks it opens the old tower."
)


def request(scene_count: int = 5, seed: int = 11, **fields: Any) -> TextRequest:
    values: dict[str, Any] = {"title": "The Key in the Fish", "prompt": PROMPT, "scene_count": scene_count}
    return TextRequest(**{**values, "seed": seed, **fields})


def collect(run: Callable[..., Any], provider: OfflineTextProvider, req: TextRequest) -> list[TextEvent]:
    async def gather() -> list[TextEvent]:
        return [event async for event in provider.stream_scenes(req)]

    result: list[TextEvent] = run(gather())
    return result


def test_the_story_is_built_from_the_writers_names_places_and_objects() -> None:
    story = OfflineStory(request(scene_count=5))
    scenes = [story.scene(index) for index in range(5)]
    everything = " ".join(scene.text for scene in scenes)
    assert "Mira" in scenes[0].text and "lighthouse keeper" in scenes[0].text
    assert "belly of a fish" not in everything  # the prompt is read for names, never pasted into the prose
    assert "Tobin" in everything and "Harrow" in everything and "brass key" in everything
    assert "lorem" not in everything.lower() and "ipsum" not in everything.lower()
    assert all(len(scene.text.split()) >= 60 for scene in scenes)
    assert len({scene.title for scene in scenes}) == 5


def test_the_arc_runs_from_opening_to_resolution_over_any_number_of_scenes() -> None:
    for count in (1, 2, 3, 4, 5, 12, 50):
        story = OfflineStory(request(scene_count=count))
        scenes = [story.scene(index) for index in range(count)]
        assert len({scene.title for scene in scenes}) == count, count
        prompts = [scene.image_prompt for scene in scenes]
        # The light follows the arc: it begins in the morning, the climax comes at night, it ends in a new day.
        assert any(word in prompts[0] for word in ("dawn", "morning", "sunrise"))
        assert "Mood: calm" in prompts[-1] or count < 5
    twelve = OfflineStory(request(scene_count=12))
    moods = [twelve.scene(index).image_prompt.split("Mood: ")[1] for index in range(12)]
    assert moods[0].startswith("quiet") and moods[-1].startswith("calm")
    assert any(mood.startswith("tense") for mood in moods[7:11]) and any(mood.startswith("uneasy") for mood in moods)


def test_the_same_seed_gives_the_same_story_and_another_seed_another() -> None:
    first = [OfflineStory(request(seed=3)).scene(index) for index in range(5)]
    again = [OfflineStory(request(seed=3)).scene(index) for index in range(5)]
    other = [OfflineStory(request(seed=4)).scene(index) for index in range(5)]
    assert first == again
    assert [scene.text for scene in first] != [scene.text for scene in other]


def test_a_prompt_without_names_gets_a_cast_that_varies_from_story_to_story() -> None:
    plain = {"title": "Salt Road", "prompt": "A courier crosses the desert to deliver a letter that could end a war."}
    heroes = {OfflineStory(TextRequest(**plain, scene_count=3, seed=seed)).cast.hero for seed in range(8)}
    assert len(heroes) > 2
    story = OfflineStory(TextRequest(**plain, scene_count=3, seed=1))
    assert story.cast.hero_role == "a courier" and story.cast.place == "the desert" and story.cast.thing == "the letter"


def test_a_regenerated_scene_differs_and_keeps_the_cast() -> None:
    story = OfflineStory(request(scene_count=6))
    original, variant = story.scene(2), story.scene(2, variant=5)
    assert variant.text != original.text and variant.title != original.title
    assert "Mira" in variant.text


def test_scenes_stream_in_growing_pieces_then_arrive_whole(run: Callable[..., Any]) -> None:
    provider = OfflineTextProvider(delay=0.05)
    assert provider.label == OFFLINE_LABEL == "Offline generator"
    started = time.monotonic()
    events = collect(run, provider, request(scene_count=3, start=1))
    elapsed = time.monotonic() - started
    written = [event for event in events if isinstance(event, SceneWritten)]
    assert [event.index for event in written] == [1, 2]
    streamed = [event for event in events if isinstance(event, SceneStreaming) and event.index == 1]
    assert len(streamed) > 5
    assert all(later.text_so_far.startswith(earlier.text_so_far) for earlier, later in itertools.pairwise(streamed))
    assert streamed[-1].text_so_far == written[0].scene.text
    assert elapsed >= 0.09  # the delay is spread over each scene's pieces


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _brightness(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float(ImageStat.Stat(image.convert("L").crop(box)).mean[0])


def test_images_are_real_pngs_whose_light_follows_the_scene() -> None:
    dawn = _image(paint_scene(ImageRequest(prompt="Wide view of Mira on the shore at dawn, clear sky", title="A")))
    night = _image(paint_scene(ImageRequest(prompt="Mira in the tower at midnight, stars. Mood: tense", title="A")))
    assert dawn.format == "PNG" and dawn.size == (768, 512)
    sky = (0, 0, 768, 200)
    assert _brightness(dawn, sky) > _brightness(night, sky) + 40
    dusk = _image(paint_scene(ImageRequest(prompt="Mira at dusk, a red sky over the sea", title="A")))
    red, _, blue = ImageStat.Stat(dusk.crop((0, 150, 768, 250))).mean
    assert red > blue  # a red evening sky


def test_the_composition_follows_the_place_and_the_title_is_drawn_on() -> None:
    def paint(prompt: str, title: str = "The Gate", size: tuple[int, int] = (768, 512)) -> Image.Image:
        return _image(paint_scene(ImageRequest(prompt=prompt, title=title, width=size[0], height=size[1], seed=5)))

    city = paint("Mira walking through the city at noon")
    forest = paint("Mira walking through the forest at noon")
    assert city.tobytes() != forest.tobytes()
    land = (0, 300, 768, 440)

    def greenness(image: Image.Image) -> float:
        red, green, blue = ImageStat.Stat(image.convert("RGB").crop(land)).mean
        return float(green - (red + blue) / 2)

    assert greenness(forest) > greenness(city) + 15
    banner = (0, 470, 768, 512)
    other_title = paint("Mira walking through the forest at noon", title="Something Else Entirely")
    assert forest.crop(banner).tobytes() != other_title.crop(banner).tobytes()
    assert ImageStat.Stat(forest.convert("L").crop(banner)).extrema[0][1] > 200  # light lettering on the dark band
    assert paint("Mira at the sea", size=(512, 512)).size == (512, 512)


@pytest.mark.parametrize("count", [12])
def test_the_provider_paints_on_the_executor(run: Callable[..., Any], count: int) -> None:
    executor = QThreadPoolExecutor(max_workers=2, name="test-offline-paint")
    try:
        provider = OfflineImageProvider(executor)
        story = OfflineStory(request(scene_count=count))

        async def paint_all() -> list[bytes]:
            return [
                await provider.paint(ImageRequest(prompt=story.scene(i).image_prompt, title=story.scene(i).title))
                for i in range(3)
            ]

        pictures = run(paint_all())
        assert len({bytes(picture) for picture in pictures}) == 3
        assert all(_image(picture).size == (768, 512) for picture in pictures)
    finally:
        executor.shutdown(wait=True, timeout=10)
