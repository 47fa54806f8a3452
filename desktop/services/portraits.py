"""Character portraits (issue 18): a picture of a character painted from their look and the story's style, shown in
the Bible panel and sent as the reference picture of the scenes they are in, to painters that take one.

The portrait's file and seed are kept in the character's bible entry; each new portrait is a version of the bible.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import Executor
from pathlib import Path

from desktop.bible import Bible, Character
from desktop.generation.base import ImageProvider, ImageRequest
from desktop.generation.image_folder import write_image
from desktop.generation.images import check_image

PORTRAIT_SIZE = 512  # square: a face and shoulders, small enough to send along with every scene


def portrait_prompt(character: Character, bible: Bible) -> str:
    who = f"{character.name}, {character.role}" if character.role else character.name
    parts = [f"Portrait of {who}, head and shoulders, facing the viewer, plain background"]
    parts += [" ".join(text.split()).rstrip(".") for text in (character.look, character.description) if text]
    if bible.style:
        parts.append(f"Style: {' '.join(bible.style.split())}")
    return ". ".join(parts) + "."


def portrait_request(character: Character, bible: Bible, seed: int) -> ImageRequest:
    return ImageRequest(
        prompt=portrait_prompt(character, bible),
        title=character.name,
        width=PORTRAIT_SIZE,
        height=PORTRAIT_SIZE,
        seed=seed,
        style=bible.style,
    )


def _file_stem(name: str) -> str:
    return "portrait-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "character")


async def paint_portrait(
    provider: ImageProvider, executor: Executor, directory: Path, character: Character, bible: Bible, seed: int
) -> Character:
    """The character with a new portrait, painted and kept in `directory`; ProviderError or ImageFolderError (one
    line each) when it could not be painted or kept."""
    data = await provider.paint(portrait_request(character, bible, seed))
    checked = await asyncio.wrap_future(executor.submit(check_image, data))
    path = await asyncio.wrap_future(executor.submit(write_image, directory, _file_stem(character.name), checked))
    return character.model_copy(update={"portrait": str(path), "portrait_seed": seed})
