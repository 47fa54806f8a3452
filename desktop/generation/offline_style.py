"""What the story's bible tells the offline painter: the light its style asks for, the kind of place its places are,
and the finish of its style (palette and medium) laid over the finished picture.

The bible decides before the scene's own words: a story set in a drowned city at night is painted as one in every
scene, whatever a beat's image prompt says about the weather.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageOps

RGB = tuple[int, int, int]

# Stricter than the scene's words: a style's "dark" or "bright" speaks of mood, not of the hour.
_STYLE_TIMES = (
    ("storm", r"storm|stormy|thunder"),
    ("night", r"night|midnight|moonlit|moonlight|starlit|nocturnal|nocturne"),
    ("dusk", r"dusk|sunset|evening|twilight|golden hour"),
    ("dawn", r"dawn|sunrise|daybreak|first light|morning"),
    ("day", r"daylight|midday|noon|sunlit|sunny|bright day"),
)
# A place's kind, from its name first and then its description and look; an interior before the sea, so "the
# lighthouse kitchen" is a room, and water before the town, so "the drowned city" is a horizon of water.
_PLACE_KINDS = (
    ("space", r"space|planet|asteroid|orbit|moon base|galaxy"),
    ("cave", r"cave|caves|mine|tunnel|sewers|cellar|underground|grotto"),
    (
        "interior",
        r"room|house|home|library|kitchen|hall|study|attic|bedroom|parlou?r|shop|inn|tavern|workshop|chapel|"
        r"cabin|cottage|office|classroom|studio|bakery",
    ),
    (
        "water",
        r"sea|ocean|harbou?r|lake|river|island|coast|shore|beach|bay|reef|fjord|lighthouse|port|drowned|flooded|"
        r"sunken|lagoon|canal|quay|pier|docks?",
    ),
    ("desert", r"desert|dunes|salt flats|sand|wasteland|steppe|canyon"),
    ("forest", r"forest|woods?|jungle|orchard|garden|meadow|trees?|grove"),
    ("mountains", r"mountains?|peak|glacier|highlands|cliffs?|pass"),
    ("city", r"city|town|village|street|market|square|alley|castle|palace|tower|quarter|district|citadel"),
)
_TOWN = r"city|town|village|street|quarter|district|houses|roofs|towers"

_WARM: RGB = (255, 168, 88)
_COOL: RGB = (64, 108, 196)
_PAPER: RGB = (238, 230, 212)
_INK: RGB = (22, 22, 34)


def _first(words: str, table: tuple[tuple[str, str], ...]) -> str:
    for name, pattern in table:
        if re.search(rf"\b(?:{pattern})\b", words):
            return name
    return ""


def time_of(style: str) -> str:
    """The hour the style asks for ("night", "dawn", …), or "" where it names none."""
    return _first(style.lower(), _STYLE_TIMES)


def place_kind(places: Iterable[str], scene: str = "") -> tuple[str, bool]:
    """The kind of the first place that has one ("water", "forest", "city", "interior", …; "" for none), and
    whether a town stands by that water (a harbour town, a drowned city). Places whose name the scene's words
    contain come first: the scene happens there."""
    lines = list(places)
    scene = scene.lower()
    named = [line for line in lines if line.partition(":")[0].strip().lower() in scene]
    for line in named + [line for line in lines if line not in named]:
        name, _, about = line.partition(":")
        description, _, look = about.partition("Looks:")
        # What it is before what it looks like: a lighthouse whose look mentions its lamp room is by the sea.
        for words in (name.lower(), description.lower(), look.lower()):
            if kind := _first(words, _PLACE_KINDS):
                return kind, kind == "water" and bool(re.search(rf"\b(?:{_TOWN})\b", line.lower()))
    return "", False


def _tinted(image: Image.Image, colour: RGB, amount: float) -> Image.Image:
    return Image.blend(image, Image.new("RGB", image.size, colour), amount)


def _ink_lines(image: Image.Image, strength: float) -> Image.Image:
    """The picture's edges drawn over it in dark lines, as a pen or a cut block would leave them."""
    edges = image.convert("L").filter(ImageFilter.FIND_EDGES).point(lambda v: 255 - min(255, int(v * strength)))
    return ImageChops.multiply(image, edges.convert("RGB"))


def finish(image: Image.Image, style: str) -> Image.Image:
    """The style's palette and medium over the painted picture (before its title is drawn on, which stays legible)."""
    words = style.lower()
    # The medium first, then the palette over it: "woodcut, muted blues" is a blue print, not a grey one.
    if re.search(r"\b(?:watercolou?rs?|wash|aquarelle)\b", words):
        soft = image.filter(ImageFilter.GaussianBlur(2.2))
        image = _ink_lines(_tinted(soft, _PAPER, 0.22), 0.6)
    elif re.search(r"\b(?:ink|pen|line art|pencil|charcoal|etching)\b", words):
        grey = ImageEnhance.Contrast(image.convert("L")).enhance(1.3)
        image = _ink_lines(ImageOps.colorize(grey, _INK, _PAPER), 1.6)
    elif re.search(r"\b(?:woodcut|linocut|block print|engraving)\b", words):
        grey = image.convert("L").point(lambda v: 0 if v < 70 else 120 if v < 150 else 255)  # three cuts of the block
        image = _ink_lines(ImageOps.colorize(grey, _INK, _PAPER), 2.0)
    elif re.search(r"\b(?:pixel|pixelated|8-bit)\b", words):
        small = image.resize((max(1, image.width // 8), max(1, image.height // 8)), Image.Resampling.BOX)
        image = small.resize(image.size, Image.Resampling.NEAREST)
    if re.search(r"\b(?:warm|golden|amber|sepia|ochre)\b", words):
        image = _tinted(image, _WARM, 0.2)
    if re.search(r"\b(?:cool|cold|blues?|icy|frost|teal)\b", words):
        image = _tinted(image, _COOL, 0.22)
    if re.search(r"\b(?:muted|faded|pastel|desaturated|washed)\b", words):
        image = ImageEnhance.Color(image).enhance(0.45)
    if re.search(r"\b(?:vivid|saturated|bold|bright colou?rs)\b", words):
        image = ImageEnhance.Color(image).enhance(1.4)
    return image
