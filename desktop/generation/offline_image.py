"""The offline painter: a real PNG whose light, palette, landscape, figures and emblem follow the story's bible
(its style's hour, palette and medium; the kind of place the scene's places are: offline_style) and then the words of
the scene's image prompt (time of day, weather, mood, place, the object in it), with the scene's title on a banner.

`paint_scene` blocks (Pillow): the provider runs it on the executor.
"""

from __future__ import annotations

import asyncio
import io
import math
import random
import re
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps

from desktop.generation.base import OFFLINE_LABEL, ImageAbilities, ImageRequest
from desktop.generation.offline_style import finish, place_kind, time_of

RGB = tuple[int, int, int]
Draw = ImageDraw.ImageDraw


@dataclass(frozen=True)
class Light:
    sky_top: RGB
    sky_bottom: RGB
    sun: RGB | None
    land: RGB
    glow: RGB


_LIGHTS: dict[str, Light] = {
    "dawn": Light((58, 74, 138), (250, 188, 150), (255, 226, 170), (72, 62, 92), (255, 210, 150)),
    "day": Light((84, 146, 222), (204, 228, 246), (255, 250, 224), (78, 122, 82), (255, 244, 200)),
    "dusk": Light((58, 38, 92), (238, 118, 78), (255, 150, 92), (48, 34, 58), (255, 170, 110)),
    "night": Light((8, 10, 32), (38, 48, 92), (232, 232, 210), (14, 18, 34), (250, 220, 140)),
    "storm": Light((34, 38, 48), (98, 104, 116), None, (30, 36, 40), (200, 220, 255)),
}
_TIME_WORDS = (
    ("storm", r"storm|lightning|heavy rain|thunder|hurricane|blizzard"),
    ("night", r"night|midnight|moon|stars|dark"),
    ("dusk", r"dusk|sunset|evening|red sky|twilight|sun went down"),
    ("dawn", r"dawn|sunrise|early|first light|morning"),
    ("day", r"day|noon|midday|afternoon|high sun|bright"),
)
_TERRAINS = (
    ("space", r"space|planet|asteroid|orbit|mars|galaxy"),
    ("cave", r"cave|caves|mine|tunnel|sewers|cellar|underground"),
    ("water", r"sea|ocean|harbou?r|lake|river|island|coast|shore|beach|bay|reef|fjord|lighthouse|port|ship|boat"),
    ("desert", r"desert|dunes|salt flats|sand|wasteland|steppe|canyon"),
    ("forest", r"forest|woods|jungle|orchard|garden|meadow|tree"),
    ("mountains", r"mountain|peak|glacier|highlands|cliff|pass|ledge"),
    (
        "city",
        r"city|town|village|street|market|station|tower|castle|palace|library|house|square|alley|train|"
        r"temple|school|museum|room|porch|doorstep|table|window|inn|tavern|manor|factory|workshop",
    ),
)
_EMBLEMS = (
    "letter",
    "note",
    "key",
    "lantern",
    "lamp",
    "candle",
    "book",
    "diary",
    "notebook",
    "compass",
    "clock",
    "watch",
    "map",
    "sword",
    "ring",
    "locket",
    "crown",
    "bees",
    "bird",
    "feather",
    "stone",
    "gem",
    "crystal",
)


# The ground takes the colour of the place: stone for towns, sand for deserts, deep green for forests.
_GROUND_TINTS: dict[str, tuple[RGB, float]] = {
    "city": ((112, 108, 118), 0.6),
    "desert": ((200, 160, 100), 0.5),
    "forest": ((28, 92, 44), 0.45),
    "mountains": ((96, 104, 122), 0.45),
    "cave": ((60, 44, 36), 0.6),
    "interior": ((104, 72, 48), 0.55),
}


def _rng(request: ImageRequest) -> random.Random:
    return random.Random(request.seed * 1_000_003 + zlib.crc32(request.prompt.encode()))


def _first(words: str, table: tuple[tuple[str, str], ...], default: str) -> str:
    for name, pattern in table:
        if re.search(rf"\b(?:{pattern})", words):
            return name
    return default


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _mood_shift(light: Light, words: str) -> Light:
    if re.search(r"\b(?:warm|calm|peaceful|hopeful|joy)", words):
        return Light(
            light.sky_top,
            _mix(light.sky_bottom, (255, 214, 160), 0.25),
            light.sun,
            _mix(light.land, (120, 96, 60), 0.2),
            light.glow,
        )
    if re.search(r"\b(?:tense|fierce|dark|uneasy|grim|fear)", words):
        return Light(
            _mix(light.sky_top, (0, 0, 0), 0.3),
            _mix(light.sky_bottom, (60, 20, 40), 0.25),
            light.sun,
            _mix(light.land, (0, 0, 0), 0.35),
            light.glow,
        )
    return light


def _ridge(rng: random.Random, width: int, base: float, amplitude: float, roughness: int) -> list[tuple[float, float]]:
    phases = [rng.uniform(0, math.tau) for _ in range(3)]
    frequencies = [rng.uniform(0.6, 1.4) * k for k in (1.0, 2.7, roughness)]
    points = []
    for x in range(0, width + 16, 16):
        u = x / width * math.tau
        wave = sum(math.sin(u * f + p) / (i + 1) for i, (f, p) in enumerate(zip(frequencies, phases, strict=True)))
        points.append((float(x), base - amplitude * (0.55 + 0.45 * wave / 1.8)))
    return points


def _fill_below(draw: Draw, points: list[tuple[float, float]], height: int, colour: RGB) -> None:
    draw.polygon([*points, (points[-1][0], height), (points[0][0], height)], fill=colour)


def _sky(image: Image.Image, light: Light, horizon: int) -> None:
    gradient = Image.linear_gradient("L").resize((image.width, max(1, horizon)))
    image.paste(ImageOps.colorize(gradient, light.sky_top, light.sky_bottom), (0, 0))


def _halo(image: Image.Image, box: tuple[float, float, float, float], colour: RGB, alpha: int) -> None:
    """What ImageDraw's blending draw paints for `ellipse(box, fill=(*colour, alpha))`, pixel for pixel.

    The shape goes into a mask and `paste` blends the colour through it with the same arithmetic: paste lets go
    of the GIL while it works, ImageDraw's blending keeps it (large glows held it for milliseconds).
    """
    mask = Image.new("L", image.size)
    ImageDraw.Draw(mask).ellipse(box, fill=alpha)
    left, top = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    right, bottom = min(image.width, math.ceil(box[2]) + 1), min(image.height, math.ceil(box[3]) + 1)
    if left < right and top < bottom:
        area = (left, top, right, bottom)
        image.paste(colour, area, mask.crop(area))


def _sun(image: Image.Image, draw: Draw, light: Light, x: float, y: float, radius: float) -> None:
    if light.sun is None:
        return
    for step in range(6, 0, -1):
        r = radius * (1 + step * 0.35)
        _halo(image, (x - r, y - r, x + r, y + r), light.sun, 18)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=light.sun)


def _weather(glaze: Draw, rng: random.Random, words: str, size: tuple[int, int], light: Light) -> None:
    width, height = size
    if re.search(r"\b(?:night|midnight|stars)", words) and "storm" not in words:
        for _ in range(120):
            x, y = rng.uniform(0, width), rng.uniform(0, height * 0.5)
            glaze.point((x, y), fill=(255, 255, 240, rng.randint(90, 255)))
    if re.search(r"\b(?:cloud|storm|rain|haze|overcast)", words):
        for _ in range(7):
            x, y, w = rng.uniform(-50, width), rng.uniform(10, height * 0.35), rng.uniform(120, 260)
            glaze.ellipse((x, y, x + w, y + w * 0.32), fill=(*_mix(light.sky_bottom, (240, 240, 240), 0.4), 70))
    if re.search(r"\b(?:rain|storm)", words):
        for _ in range(220):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            glaze.line((x, y, x - 6, y + 18), fill=(200, 210, 230, 90), width=1)
    if re.search(r"\b(?:lightning|storm)", words):
        x, y = rng.uniform(width * 0.2, width * 0.8), 0.0
        bolt = [(x, y)]
        while y < height * 0.55:
            x, y = x + rng.uniform(-28, 28), y + rng.uniform(18, 40)
            bolt.append((x, y))
        glaze.line(bolt, fill=(*light.glow, 230), width=3)
    if re.search(r"\b(?:mist|fog|haze|frost)", words):
        for band in range(5):
            y = height * (0.45 + band * 0.08)
            glaze.rectangle((0, y, width, y + 26), fill=(236, 236, 244, 34))


def _terrain(
    draw: Draw,
    glaze: Draw,
    rng: random.Random,
    kind: str,
    size: tuple[int, int],
    horizon: int,
    light: Light,
    lit: bool,
    town: bool = False,
) -> None:
    width, height = size
    far = _mix(light.sky_bottom, light.land, 0.45)
    if kind == "water":
        draw.rectangle((0, horizon, width, height), fill=_mix(light.sky_top, light.land, 0.35))
        for _ in range(60):
            y = rng.uniform(horizon + 4, height)
            x = rng.uniform(0, width)
            glaze.line((x, y, x + rng.uniform(10, 40), y), fill=(*light.glow, 60), width=1)
        _fill_below(draw, _ridge(rng, width // 3, horizon + 2, 24, 5), horizon + 30, far)
        if town:  # a harbour town or a drowned city: roofs and towers standing out of the water
            _skyline(draw, rng, (width * 0.3, width), horizon + 14, light, lit)
        if rng.random() < 0.7:
            tower_x = rng.uniform(width * 0.6, width * 0.85)
            draw.polygon(
                [
                    (tower_x - 10, horizon + 4),
                    (tower_x + 10, horizon + 4),
                    (tower_x + 5, horizon - 70),
                    (tower_x - 5, horizon - 70),
                ],
                fill=_mix(light.land, (230, 230, 230), 0.5),
            )
            draw.ellipse((tower_x - 9, horizon - 86, tower_x + 9, horizon - 68), fill=light.glow)
        return
    layers = 3
    for layer in range(layers):
        t = (layer + 1) / layers
        colour = _mix(far, light.land, t)
        base = horizon + (height - horizon) * 0.25 * layer
        if kind == "mountains" and layer == 0:
            peaks = [(0.0, float(horizon))]
            x = 0.0
            while x < width:
                x += rng.uniform(60, 140)
                peaks += [(x - rng.uniform(20, 50), horizon - rng.uniform(80, 190)), (x, float(horizon))]
            draw.polygon([*peaks, (width, height), (0, height)], fill=colour)
            continue
        if kind == "desert":
            colour = _mix((214, 172, 110), light.land, 0.35 + 0.2 * layer)
            _fill_below(draw, _ridge(rng, width, base + 10, 40, 1), height, colour)
            continue
        ridge = _ridge(rng, width, base + 12, 30 + 10 * layer, 4)
        _fill_below(draw, ridge, height, colour)
        if kind == "forest":
            for x, y in ridge[:: 1 + layer]:
                tree = rng.uniform(26, 48) * (1 + layer * 0.4)
                draw.polygon(
                    [(x - tree * 0.3, y + 6), (x + tree * 0.3, y + 6), (x, y - tree)],
                    fill=_mix(colour, (10, 40, 20), 0.45),
                )
        if kind == "city" and layer == 0:
            x = rng.uniform(-20, 0)
            while x < width:
                w, h = rng.uniform(28, 70), rng.uniform(40, 150)
                draw.rectangle((x, base + 12 - h, x + w, height), fill=_mix(colour, (20, 20, 30), 0.3))
                if lit:
                    for wy in range(int(base + 12 - h + 8), int(base), 14):
                        for wx in range(int(x + 6), int(x + w - 6), 12):
                            if rng.random() < 0.35:
                                draw.rectangle((wx, wy, wx + 4, wy + 6), fill=light.glow)
                x += w + rng.uniform(2, 14)
    if kind == "cave":
        draw.rectangle((0, 0, width, height * 0.12), fill=(18, 14, 16))
        draw.polygon([(0, 0), (width * 0.22, 0), (width * 0.08, height), (0, height)], fill=(18, 14, 16))
        draw.polygon([(width, 0), (width * 0.78, 0), (width * 0.92, height), (width, height)], fill=(18, 14, 16))


def _skyline(draw: Draw, rng: random.Random, span: tuple[float, float], base: float, light: Light, lit: bool) -> None:
    colour = _mix(light.land, (20, 20, 30), 0.45)
    x = span[0]
    while x < span[1]:
        w, h = rng.uniform(18, 44), rng.uniform(30, 110)
        draw.rectangle((x, base - h, x + w, base), fill=colour)
        if lit:
            for wy in range(int(base - h + 6), int(base - 8), 12):
                if rng.random() < 0.4:
                    draw.rectangle((x + w / 2 - 2, wy, x + w / 2 + 2, wy + 5), fill=light.glow)
        x += w + rng.uniform(4, 26)


def _interior(image: Image.Image, draw: Draw, rng: random.Random, light: Light, horizon: int, lit: bool) -> None:
    """A room: a back wall with a window onto the hour's sky, a floor of boards, shelves, a lamp where it is dark."""
    width, height = image.size
    wall = _mix(light.land, (196, 168, 132), 0.45)
    draw.rectangle((0, 0, width, horizon), fill=wall)
    pane = (round(width * rng.uniform(0.52, 0.62)), round(height * 0.12))
    size = (round(width * 0.26), round(horizon * 0.55))
    sky = ImageOps.colorize(Image.linear_gradient("L").resize(size), light.sky_top, light.sky_bottom)
    image.paste(sky, pane)
    frame = _mix(wall, (40, 28, 20), 0.55)
    box = (pane[0], pane[1], pane[0] + size[0], pane[1] + size[1])
    draw.rectangle(box, outline=frame, width=6)
    draw.line(((box[0] + box[2]) / 2, box[1], (box[0] + box[2]) / 2, box[3]), fill=frame, width=4)
    draw.line((box[0], (box[1] + box[3]) / 2, box[2], (box[1] + box[3]) / 2), fill=frame, width=4)
    shelf = _mix(wall, (60, 40, 26), 0.5)
    for row in range(3):
        y = height * 0.16 + row * horizon * 0.22
        draw.rectangle((width * 0.05, y, width * 0.36, y + 5), fill=shelf)
        x = width * 0.06
        while x < width * 0.34:
            w = rng.uniform(6, 14)
            spine = _mix(light.land, (rng.randint(80, 200), rng.randint(40, 140), rng.randint(30, 120)), 0.6)
            draw.rectangle((x, y - rng.uniform(22, 34), x + w, y), fill=spine)
            x += w + 1
    floor = _mix(light.land, (120, 84, 54), 0.5)
    draw.rectangle((0, horizon, width, height), fill=floor)
    for number in range(1, 9):
        y = horizon + (height - horizon) * (number / 9) ** 1.4
        draw.line((0, y, width, y), fill=_mix(floor, (0, 0, 0), 0.25), width=1)
    if lit:
        x, y = width * 0.82, horizon - height * 0.12
        _halo(image, (x - 70, y - 70, x + 70, y + 70), light.glow, 40)
        draw.rectangle((x - 10, y - 14, x + 10, y + 14), fill=light.glow, outline=frame, width=2)


def _road(draw: Draw, size: tuple[int, int], horizon: int, light: Light) -> None:
    width, height = size
    colour = _mix(light.land, (200, 180, 140), 0.45)
    draw.polygon(
        [(width * 0.38, height), (width * 0.62, height), (width * 0.53, horizon + 8), (width * 0.5, horizon + 8)],
        fill=colour,
    )


def _figures(draw: Draw, words: str, x: float, ground: float, scale: float, colour: RGB) -> None:
    count = 1 if re.search(r"\balone\b", words) else 2 if re.search(r"\b\w+ and \w+\b", words) else 1
    for number in range(count):
        fx = x + number * 34 * scale
        draw.ellipse((fx - 9 * scale, ground - 78 * scale, fx + 9 * scale, ground - 60 * scale), fill=colour)
        draw.polygon(
            [
                (fx - 14 * scale, ground),
                (fx + 14 * scale, ground),
                (fx + 8 * scale, ground - 58 * scale),
                (fx - 8 * scale, ground - 58 * scale),
            ],
            fill=colour,
        )


def _emblem(image: Image.Image, draw: Draw, name: str, x: float, y: float, r: float, light: Light) -> None:
    for step in range(5, 0, -1):
        glow = r * (1 + step * 0.3)
        _halo(image, (x - glow, y - glow, x + glow, y + glow), light.glow, 22)
    ink = _mix(light.land, (0, 0, 0), 0.5)
    paper = _mix(light.glow, (255, 255, 255), 0.5)
    if name in ("letter", "note", "map"):
        draw.rectangle((x - r, y - r * 0.65, x + r, y + r * 0.65), fill=paper, outline=ink, width=2)
        draw.line((x - r, y - r * 0.65, x, y + r * 0.1, x + r, y - r * 0.65), fill=ink, width=2)
    elif name == "key":
        draw.ellipse((x - r, y - r * 0.45, x - r * 0.1, y + r * 0.45), outline=paper, width=max(2, int(r / 5)))
        draw.line((x - r * 0.1, y, x + r, y), fill=paper, width=max(2, int(r / 5)))
        draw.line((x + r * 0.7, y, x + r * 0.7, y + r * 0.4), fill=paper, width=max(2, int(r / 5)))
    elif name in ("lantern", "lamp", "candle"):
        draw.rectangle((x - r * 0.45, y - r * 0.7, x + r * 0.45, y + r * 0.7), fill=light.glow, outline=ink, width=3)
        draw.arc((x - r * 0.35, y - r * 1.2, x + r * 0.35, y - r * 0.5), 180, 360, fill=ink, width=3)
    elif name in ("book", "diary", "notebook"):
        draw.polygon(
            [(x - r, y - r * 0.6), (x, y - r * 0.45), (x, y + r * 0.7), (x - r, y + r * 0.55)], fill=paper, outline=ink
        )
        draw.polygon(
            [(x + r, y - r * 0.6), (x, y - r * 0.45), (x, y + r * 0.7), (x + r, y + r * 0.55)], fill=paper, outline=ink
        )
    elif name in ("compass", "clock", "watch", "ring", "locket"):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=paper, outline=ink, width=3)
        draw.line((x, y, x + r * 0.5, y - r * 0.55), fill=ink, width=3)
        draw.line((x, y, x - r * 0.35, y + r * 0.2), fill=ink, width=2)
    else:
        draw.polygon([(x, y - r), (x + r * 0.7, y), (x, y + r), (x - r * 0.7, y)], fill=paper, outline=ink)


def _banner(image: Image.Image, draw: Draw, glaze: Draw, title: str) -> None:
    width, height = image.size
    size = max(12, round(height * 0.05))
    font = ImageFont.load_default(size=size)
    text = title.strip() or "Untitled scene"
    while draw.textlength(text, font=font) > width * 0.9 and len(text) > 4:
        text = text[:-2].rstrip() + "…"
    band = round(size * 2.1)
    glaze.rectangle((0, height - band, width, height), fill=(10, 10, 16, 150))
    x = (width - draw.textlength(text, font=font)) / 2
    draw.text((x, height - band + (band - size) / 2 - size * 0.1), text, font=font, fill=(250, 246, 236))


def _let_others_run() -> None:
    """Hand the GIL over between drawing steps.

    Pillow's drawing calls keep the GIL; without a pause the painter holds it for a whole switch interval (5 ms) at
    a time, and the GUI thread, which needs it for every Python slot and virtual call, waits that long each time.
    """
    time.sleep(0)


def paint_scene(request: ImageRequest) -> bytes:
    # The bible's style and places decide first; the scene's own words fill in what they leave open.
    words = f"{request.style} {request.prompt}".lower()
    rng = _rng(request)
    width, height = request.width, request.height
    when = time_of(request.style) or _first(words, _TIME_WORDS, rng.choice(list(_LIGHTS)))
    light = _mood_shift(_LIGHTS[when], words)
    kind, town = place_kind(request.places, request.prompt)
    terrain = kind or _first(words, _TERRAINS, "hills")
    if terrain in _GROUND_TINTS:
        tint, amount = _GROUND_TINTS[terrain]
        light = Light(light.sky_top, light.sky_bottom, light.sun, _mix(light.land, tint, amount), light.glow)
    low = bool(re.search(r"\blow-angle|dramatic", words))
    close = bool(re.search(r"\bclose\b", words))
    horizon = round(height * (0.74 if low else 0.5 if close else 0.6))
    if terrain == "space":
        when, light = "night", _LIGHTS["night"]
    lit = when in ("night", "dusk") or "night" in words or "dusk" in words

    image = Image.new("RGB", (width, height), light.land)
    _sky(image, light, horizon)
    # Opaque shapes go straight into the pixels; only translucent ones, (r, g, b, a), take Pillow's blending path:
    # it costs several times as much per pixel and holds the GIL throughout, while the GUI thread waits for it.
    draw, glaze = ImageDraw.Draw(image), ImageDraw.Draw(image, "RGBA")
    if terrain == "interior":
        _interior(image, draw, rng, light, horizon, lit)
    else:
        sun_x = width * rng.uniform(0.15, 0.85)
        sun_y = horizon - height * (0.08 if when in ("dawn", "dusk") else 0.3)
        _sun(image, draw, light, sun_x, sun_y, height * (0.05 if when == "night" else 0.07))
        _let_others_run()
        if terrain == "space":
            for _ in range(3):
                r = rng.uniform(20, 90)
                px, py = rng.uniform(0, width), rng.uniform(0, height * 0.5)
                colour = _mix((120, 90, 160), (200, 140, 90), rng.random())
                draw.ellipse((px - r, py - r, px + r, py + r), fill=colour)
        _weather(glaze, rng, words, (width, height), light)
        _let_others_run()
        kind_drawn = "hills" if terrain == "space" else terrain
        _terrain(draw, glaze, rng, kind_drawn, (width, height), horizon, light, lit, town)
        _let_others_run()
        if re.search(r"\b(?:road|travelling|walking|path|running)", words):
            _road(draw, (width, height), horizon, light)

    ground = height * 0.86
    scale = height / 512 * (1.9 if close else 1.35 if low else 1.0)
    figure_x = width * rng.uniform(0.22, 0.4)
    _figures(draw, words, figure_x, ground, scale, _mix(light.land, (0, 0, 0), 0.7))
    emblem = next((name for name in _EMBLEMS if re.search(rf"\b{name}", words)), "")
    emblem_r = height * (0.13 if close else 0.06)
    ex, ey = (width * 0.62, height * 0.45) if close else (figure_x + 60 * scale, ground - 95 * scale)
    _emblem(image, draw, emblem, ex, ey, emblem_r, light)
    _let_others_run()
    if request.style:
        image = finish(image, request.style)
        draw, glaze = ImageDraw.Draw(image), ImageDraw.Draw(image, "RGBA")
        _let_others_run()
    _banner(image, draw, glaze, request.title)

    out = io.BytesIO()
    image.save(out, "PNG", compress_level=3)
    return out.getvalue()


class OfflineImageProvider:
    """Paints on `executor` (Pillow blocks); waits `delay` seconds first, so the window behaves as with a service."""

    label = OFFLINE_LABEL
    model = ""  # its label says it all
    # Its drawings follow the seed; it reads no picture, so portraits are not sent to it.
    _ABILITIES = ImageAbilities(
        seed=True, note="The offline painter keeps each story's seed; it draws from the words and takes no portraits."
    )

    def __init__(
        self, executor: Executor, delay: float = 0.0, painter: Callable[[ImageRequest], bytes] = paint_scene
    ) -> None:
        self._executor = executor
        self._delay = delay
        self._painter = painter

    async def paint(self, request: ImageRequest) -> bytes:
        if self._delay:
            await asyncio.sleep(self._delay)
        return await asyncio.wrap_future(self._executor.submit(self._painter, request))

    async def abilities(self) -> ImageAbilities:
        return self._ABILITIES

    async def aclose(self) -> None:
        return None
