"""A story's first bible, drafted offline from what the writer typed: the people, places and the thing the prompt
names (offline_cast reads them), the style as given. Where the prompt names no one, the draft names them, and the
offline writer then follows the draft, so the bible and the story agree from the first scene."""

from __future__ import annotations

import random
import re

from desktop.bible import Bible, Character, Place, characters_from_text
from desktop.generation.offline_cast import read_cast


def draft_bible(title: str, prompt: str, style: str = "", characters: str = "") -> Bible:
    cast = read_cast(title, prompt, characters, random.Random(f"bible:{title}:{prompt}:{characters}"))
    text = f"{title} {prompt} {characters}".lower()
    given = {character.name: character for character in characters_from_text(characters)} if characters else {}
    people = [
        given.get(cast.hero) or Character(name=cast.hero, role=_role(cast.hero_role)),
        given.get(cast.ally) or Character(name=cast.ally, role=_role(cast.ally_role)),
    ]
    if cast.rival.lower() in text and cast.rival[:1].isupper():
        people.append(given.get(cast.rival) or Character(name=cast.rival))
    people += [character for name, character in given.items() if name not in {p.name for p in people}]
    # "the Skerry light", "the Halden road": a capitalised word the prompt only ever puts after "the" names a thing
    # or a place, not someone.
    people = [p for p in people if p.name in given or not _only_after_the(p.name, f"{title} {prompt}")]
    places = [Place(name=_capital(place)) for place in (cast.place, cast.second_place) if _bare(place) in text]
    if not places:  # the prompt names no place: the one the offline writer will use
        places = [Place(name=_capital(cast.place))]
    notes = f"What matters: {cast.thing}." if cast.thing.removeprefix("the ").lower() in text else ""
    return Bible(style=style, notes=notes, characters=people, places=places)


def _only_after_the(name: str, text: str) -> bool:
    uses = list(re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text))
    return bool(uses) and all(text[: use.start()].rstrip().lower().endswith(" the") for use in uses)


def _bare(phrase: str) -> str:
    return phrase.lower().removeprefix("the ").removeprefix("a ").strip()


def _capital(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def _role(role: str) -> str:
    return role.removeprefix("a ").removeprefix("an ").removeprefix("the ")
