"""The offline writer tells the story its bible describes, and the offline painter paints the bible's style and
places (issue 18)."""

from __future__ import annotations

import io
import itertools
import random
import re

from PIL import Image, ImageStat

from desktop.bible import Bible, Character, Place
from desktop.generation.base import ImageRequest, TextRequest
from desktop.generation.offline_cast import FALLBACK_NAMES, FALLBACK_PLACES, cast_with_bible, read_cast
from desktop.generation.offline_image import paint_scene
from desktop.generation.offline_style import place_kind
from desktop.generation.offline_text import OfflineStory

PROMPT = "A girl in the northern forest finds a lantern that shows the dead. Her friend Ama helps her."
DROWNED = Bible(
    style="night, ink",
    notes="What matters: the brass key. Keep it quiet.",
    characters=[Character(name="Ines", role="diver"), Character(name="Teo", role="her brother")],
    places=[Place(name="The drowned city", description="A coastal city under the sea.")],
)


def scenes(prompt: str, bible: Bible, *, title: str = "Salt", count: int = 5, seed: int = 7) -> list[str]:
    story = OfflineStory(TextRequest(title=title, prompt=prompt, scene_count=count, seed=seed, bible=bible))
    return [story.scene(index).text for index in range(count)]


def test_the_story_is_told_with_the_bibles_people_places_and_what_matters() -> None:
    texts = scenes(PROMPT, DROWNED)
    everything = "\n".join(texts)
    assert all("Ines" in text for text in texts)
    assert "Ines, a diver," in texts[0] and "Teo" in everything
    cast = OfflineStory(TextRequest(title="Salt", prompt=PROMPT, scene_count=5, bible=DROWNED)).cast
    assert (cast.ally, cast.ally_role) == ("Teo", "Ines's brother")
    assert (cast.place, cast.thing) == ("the drowned city", "the brass key")
    others = [name for name in FALLBACK_NAMES if name not in ("Ines", "Teo")]  # Ama too: the prompt's, not the bible's
    assert not [name for name in others if re.search(rf"\b{name}\b", everything)]
    assert "drowned city" in everything and "brass key" in everything
    assert not [place for place in FALLBACK_PLACES if place in everything.lower()]
    assert "northern forest" not in everything and "lantern" not in everything


def test_a_bible_with_one_person_and_no_places_borrows_no_name() -> None:
    alone = Bible(characters=[Character(name="Ines")])
    everything = "\n".join(scenes("A story about the sea.", alone))
    assert "Ines" in everything
    assert not [name for name in FALLBACK_NAMES if name != "Ines" and re.search(rf"\b{name}\b", everything)]


def test_without_a_bible_the_prompt_still_gives_the_cast() -> None:
    story = OfflineStory(TextRequest(title="Salt", prompt=PROMPT, scene_count=3, seed=7))
    assert story.cast.hero == "Ama" and story.cast.place == "the northern forest"


def test_the_prompt_is_never_pasted_into_the_prose() -> None:
    sentences = [sentence.rstrip(".") for sentence in PROMPT.split(". ")]
    for bible in (DROWNED, Bible()):
        for count, seed in itertools.product((1, 3, 5, 12), range(4)):
            for text in scenes(PROMPT, bible, count=count, seed=seed):
                assert not [sentence for sentence in sentences if sentence.lower() in text.lower()]
                assert "shows the dead" not in text


def test_two_stories_share_no_paragraph() -> None:
    coast = Bible(characters=[Character(name="Marit"), Character(name="Hal")], places=[Place(name="Port Vell")])
    for count, seed in itertools.product((1, 3, 5, 12), range(6)):
        for variant in (DROWNED, Bible()):
            one = scenes(PROMPT, variant, count=count, seed=seed)
            other = scenes("Oskar the baker keeps a music box in the salt flats.", coast, count=count, seed=seed)
            paragraphs = {paragraph for text in one for paragraph in text.split("\n\n")}
            shared = paragraphs & {paragraph for text in other for paragraph in text.split("\n\n")}
            assert not shared, (count, seed, shared)


SCENE = "Wide establishing view of Ines holding the brass key up to the light in the drowned city, at sunrise"


def picture(style: str = "", places: tuple[str, ...] = (), prompt: str = SCENE) -> Image.Image:
    data = paint_scene(ImageRequest(prompt=prompt, title="The Brass Key", seed=3, style=style, places=places))
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def brightness(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("L")).mean[0])


def colourfulness(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("HSV")).mean[1])


def test_the_painter_follows_the_styles_hour_and_medium_over_the_scenes_words() -> None:
    night_ink, dawn_watercolour = picture("night, ink"), picture("dawn, watercolour")
    assert night_ink.size == dawn_watercolour.size == (768, 512)
    assert brightness(dawn_watercolour) > brightness(night_ink) + 40  # the scene says sunrise; the style says night
    assert colourfulness(night_ink) < colourfulness(picture("night")) / 2  # ink on paper, not colour
    warm, cool = (ImageStat.Stat(picture(style)).mean for style in ("warm", "muted blues"))
    assert warm[0] - warm[2] > cool[0] - cool[2] + 30


def test_the_painter_follows_the_places_kind_over_the_scenes_words() -> None:
    def land(image: Image.Image) -> tuple[float, float, float]:
        red, green, blue = ImageStat.Stat(image.crop((0, 330, 768, 440))).mean
        return float(red), float(green), float(blue)

    town = picture()  # the scene's own words: a city
    coast = picture(places=("The coast: grey sea under the cliffs",))
    forest = picture(places=("The northern forest: tall dark pines",))
    room = picture(places=("The library: a tall room of books",))
    assert len({town.tobytes(), coast.tobytes(), forest.tobytes(), room.tobytes()}) == 4
    red, green, blue = land(forest)
    assert green > red + 10 and green > blue + 5  # trees, though the scene names a city
    red, green, blue = land(coast)
    assert blue > red + 30 and blue > green + 30  # a water horizon
    red, green, blue = land(room)
    assert red > blue + 30  # a wooden floor
    sky = (0, 0, 768, 150)
    assert ImageStat.Stat(room.crop(sky)).mean[0] > ImageStat.Stat(town.crop(sky)).mean[0] + 15  # a wall, not sky
    assert town.tobytes() == picture(places=("Somewhere: no kind of place",)).tobytes()
    # A place's name speaks before its description: the drowned city is water with a town in it, the lighthouse
    # kitchen a room.
    assert place_kind(("The drowned city: houses of a coastal town under the sea",)) == ("water", True)
    assert place_kind(("The lighthouse kitchen: by the sea",)) == ("interior", False)
    assert place_kind(("Harrow: a fishing village by the sea", "The forest")) == ("water", True)
    assert place_kind(("Harrow: a fishing village by the sea", "The forest"), "Ines in the forest") == ("forest", False)


def test_a_place_is_drawn_as_what_it_is_before_what_its_look_mentions() -> None:
    lighthouse = "Skerry Light: The lighthouse at the harbour mouth. Looks: white tower, green lamp room"
    assert place_kind([lighthouse]) == ("water", False)  # not an interior for its lamp room


def test_a_place_the_bible_knows_is_not_carried_about_as_a_thing() -> None:
    bible = Bible(places=[Place(name="Skerry Light", description="The lighthouse on the rock.")])
    prompt = "Maren keeps Skerry Light; her brother rows out."
    assert read_cast("The Lamp", prompt, "", random.Random(1)).thing.lower() == "the skerry light"  # as read
    cast = cast_with_bible(read_cast("The Lamp", prompt, "", random.Random(1)), bible, random.Random(1))
    assert cast.thing.lower() != "the skerry light" and cast.place == "Skerry Light"
