"""Who, where and what a story is about, read from the writer's own title, prompt and characters.

What the prompt does not say is filled from small pools, chosen by the seed, so that a story still has a name,
a place and a thing to care about.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from desktop.bible import Bible


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _choices(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


_STOP = _words(
    "a an the and but or nor so yet if then when while after before once as at by for from in into of off on onto "
    "out over to up with without within across through toward towards under near beyond behind between every each "
    "some one two three no not this that these those there here it its he she they them his her their our my your "
    "we i you who whom whose what which where why how all any both few many most other such only own same than "
    "too very can will just should now is are was were be been being has have had do does did one day night years "
    "long ago story tale chapter scene part once upon time monday tuesday wednesday thursday friday saturday "
    "sunday january february march april may june july august september october november december god lord sir "
    "madam mister mrs mr ms dr captain"
)
_HONORIFICS = _words(
    "captain doctor dr professor lady lord sir queen king prince princess aunt uncle old young sister brother"
)
_PLACE_WORDS = (
    "space station|lighthouse|harbour|harbor|desert|ocean|sea|forest|woods|jungle|mountains|mountain|valley|village|"
    "town|city|tower|castle|island|river|lake|library|station|ship|moon|market|cave|caves|mine|garden|palace|school|"
    "museum|swamp|marsh|tundra|glacier|canyon|plains|steppe|orchard|farm|bridge|road|train|hospital|laboratory|lab|"
    "temple|monastery|cathedral|archive|observatory|bakery|inn|tavern|port|coast|shore|beach|cliffs|fields|meadow|"
    "kingdom|empire|colony|planet|asteroid|attic|cellar|house|mansion|manor|street|alley|square|workshop|factory|"
    "arena|fortress|ruins|tunnel|sewers|dunes|salt flats|wasteland|reef|bay|fjord|highlands|hills|prairie|camp"
)
_OBJECT_WORDS = (
    "music box|pocket watch|letter|map|key|lantern|sword|book|compass|clock|watch|crown|ring|seed|seeds|mirror|box|"
    "bell|knife|coin|photograph|photo|radio|violin|flute|egg|stone|gem|jewel|necklace|locket|scroll|diary|journal|"
    "notebook|feather|cup|chalice|amulet|mask|painting|umbrella|telescope|recipe|bottle|message|package|parcel|kite|"
    "boat|candle|crystal|bone|shell|hat|cloak|glove|engine|machine|tablet|chip|signal|song|lamp|ladder|rope|"
    "blueprint|manuscript|cassette|tape|camera|bicycle|suitcase|envelope|potion|wand|staff|shield|helmet|drum|guitar"
)
_ROLE_WORDS = (
    "lighthouse keeper|courier|girl|boy|woman|man|child|detective|witch|wizard|knight|princess|prince|king|queen|"
    "captain|sailor|pilot|robot|android|soldier|farmer|baker|thief|smuggler|librarian|scientist|doctor|mother|father|"
    "sister|brother|grandmother|grandfather|cartographer|mapmaker|fisherman|fisher|fox|cat|dog|dragon|ghost|"
    "astronaut|engineer|mechanic|student|teacher|musician|painter|hunter|healer|monk|nun|merchant|orphan|stranger|"
    "traveller|traveler|widow|heir|spy|apprentice|clockmaker|gardener|nurse|mail carrier|postman|ranger|shepherd|"
    "blacksmith|inventor|archivist|courier|bard|mercenary|priest|guard|miner|diver|climber|writer|poet|chef|cook"
)
_PLACE_RE = re.compile(rf"\b(?:the|a|an)\s+((?:[a-z][a-z'-]+\s+)?(?:{_PLACE_WORDS}))\b")
_OBJECT_RE = re.compile(rf"\b(?:the|a|an|her|his|their|its|my|our|one)\s+((?:[a-z][a-z'-]+\s+)?(?:{_OBJECT_WORDS}))\b")
_ROLE_RE = re.compile(rf"\b(?:the|a|an)\s+((?:[a-z][a-z'-]+\s+)?(?:{_ROLE_WORDS}))\b")
_NAMED_PLACE_RE = re.compile(
    r"\b(?:in|at|to|from|across|toward|towards|through|into|near|of|beyond|reach)\s+"
    r"((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)*)"
)
_PLACE_NAMED_BEFORE_RE = re.compile(rf"\b([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*\s+(?i:{_PLACE_WORDS}))\b")
_ACTION_RE = re.compile(
    r"(?<!the )(?<!a )\b(?:keeps?|finds?|found|delivers?|steals?|saves?|carr(?:y|ies)|builds?|fix(?:es)?|"
    r"repairs?|protects?|returns?|discovers?|search(?:es)? for|looks? for|hides?|guards?|grows?|brings?|loses?|"
    r"lost|rescues?|chases?|"
    r"seeks?|opens?|plants?|feeds?|raises?|catch(?:es)?|bur(?:y|ies)|makes?|writes?|reads?|restores?|follows?|"
    r"heals?|wakes?|tames?|mends?)\s+(?:(?:the|a|an|her|his|their|its|some|an old|the last)\s+)?"
    r"([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)"
)
_POSSESSIVE_ROLE_RE = re.compile(rf"\b((?i:her|his|their))\s+((?:{_ROLE_WORDS}))\s+([A-Z][\w'-]+)")
_CAPITALISED = re.compile(r"\b[A-Z][a-z][\w'-]*(?:\s+[A-Z][a-z][\w'-]*)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NOT_ADJECTIVES = _words("new same other last first next only very whole certain")

FALLBACK_NAMES = _choices(
    "Ama|Tobin|Mira|Ilse|Corin|Nell|Oskar|Suri|Jonah|Lio|Wren|Petra|Hal|Yara|Emeric|Dessa|Bram|Ines|Kit|Rosalind|"
    "Teo|Marit|Anselm|Juno"
)
FALLBACK_PLACES = _choices(
    "the old harbour|the salt flats|the northern forest|the river town|the hill village|the lighthouse on the point|"
    "the market square|the mountain pass|the flooded valley"
)
FALLBACK_OBJECTS = _choices(
    "a brass key|a folded map|an unsent letter|a cracked compass|a small music box|a paper lantern|a silver locket|"
    "a worn notebook"
)
ALLY_ROLES = _choices("an old friend|a ferryman|a neighbour|a retired teacher|a quiet stranger|a cousin")
RIVALS = _choices(
    "the storm|a collector who wanted it first|the coming winter|a rival with a head start|"
    "the silence of the old house|a clerk who would not say yes"
)


@dataclass(frozen=True)
class Cast:
    hero: str
    hero_role: str
    ally: str
    ally_role: str
    rival: str
    place: str
    second_place: str
    thing: str
    thing_plural: bool
    title: str

    @property
    def hero_full(self) -> str:
        return f"{self.hero}, {self.hero_role}," if self.hero_role else self.hero


def _the(phrase: str) -> str:
    words = phrase.split()
    if words and words[0] in {"a", "an"}:
        return "the " + " ".join(words[1:])
    return phrase if words and words[0] in {"the", "her", "his", "their"} else f"the {phrase}"


def _with_article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            kept.append(item)
    return kept


def _adjective_ok(phrase: str) -> str:
    words = phrase.split()
    if len(words) > 1 and (words[0] in _STOP or words[0] in _NOT_ADJECTIVES):
        return " ".join(words[1:])
    return phrase


def _names(text: str, places: set[str]) -> list[str]:
    names = []
    lowered_words = set(re.findall(r"\b[a-z][\w'-]*\b", text))
    for sentence in _SENTENCE_END.split(text):
        for match in _CAPITALISED.finditer(sentence):
            words = [w for w in match.group().split() if w.lower() not in _STOP or w.lower() in _HONORIFICS]
            # Drop capitalised words that are only capitalised because they start the sentence.
            while (
                words
                and match.start() == 0
                and (words[0].lower() in lowered_words or words[0].lower().endswith(("ing", "ly")))
            ):
                words = words[1:]
            if not words or all(w.lower() in _HONORIFICS for w in words):
                continue
            name = " ".join(words)
            if name not in places and not re.fullmatch(rf"(?:{_PLACE_WORDS}|{_OBJECT_WORDS})", name.lower()):
                names.append(name)
    return _unique(names)


def _characters_field(characters: str) -> list[tuple[str, str]]:
    """'Ama, a courier; Tobin, her brother' -> [('Ama', 'a courier'), ('Tobin', 'her brother')]."""
    parts = re.split(r"[;\n]+", characters) if re.search(r"[;\n]", characters) else re.split(r",\s*", characters)
    people: list[tuple[str, str]] = []
    for part in (p.strip(" .") for p in parts):
        if not part:
            continue
        role_only = re.match(r"^(?:a|an|the|her|his|their)\s+", part, re.I)
        if role_only and people and not people[-1][1]:
            people[-1] = (people[-1][0], part)
            continue
        match = re.match(r"^([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)\s*(?:[,:(–—-]\s*|\s+(?:is|was)\s+)?(.*)$", part)
        if match:
            people.append((match.group(1), match.group(2).strip(" )")))
    return people


def _is_plural(phrase: str) -> bool:
    last = phrase.split()[-1] if phrase.split() else ""
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "ous"))


def _action_thing(lower: str) -> str:
    for match in _ACTION_RE.finditer(lower):
        words = match.group(1).split()
        while words and words[-1] in _STOP:
            words.pop()
        if words and words[0] not in _STOP and not re.fullmatch(_PLACE_WORDS, " ".join(words)):
            return "the " + " ".join(words)
    return ""


def read_cast(title: str, prompt: str, characters: str, rng: random.Random) -> Cast:
    text = " ".join(f"{prompt} {characters}".split())
    before_named = _unique([m.group(1) for m in _PLACE_NAMED_BEFORE_RE.finditer(text)])
    named_places = before_named + [
        m.group(1)
        for m in _NAMED_PLACE_RE.finditer(text)
        if m.group(1).lower() not in _STOP and not any(m.group(1) in place for place in before_named)
    ]
    named_places = _unique(named_places)
    lower = text.lower()
    roles = _unique([_adjective_ok(m.group(1)) for m in _ROLE_RE.finditer(lower)])
    without_roles = _ROLE_RE.sub(" ", lower)  # "a lighthouse keeper" is a person, not a place
    places = _unique([_the(_adjective_ok(m.group(1))) for m in _PLACE_RE.finditer(without_roles)])
    things = _unique([_the(_adjective_ok(m.group(1))) for m in _OBJECT_RE.finditer(without_roles)])
    if not things and (acted_on := _action_thing(without_roles)):
        things = [acted_on]
    people = _characters_field(characters)
    possessive_roles = {m.group(3): f"{m.group(1)} {m.group(2)}" for m in _POSSESSIVE_ROLE_RE.finditer(text)}
    place_words = {w for place in named_places for w in place.split()}
    names = _unique(
        [name for name, _ in people] + [n for n in _names(prompt, set(named_places)) if n not in place_words]
    )
    roles_by_name = {**possessive_roles, **{name: role for name, role in people if role}}

    pool = [n for n in FALLBACK_NAMES if n not in names]
    rng.shuffle(pool)
    hero = names[0] if names else pool.pop()
    hero_role = roles_by_name.get(hero) or (_with_article(roles[0]) if roles else "")
    ally = names[1] if len(names) > 1 else pool.pop()
    ally_role = roles_by_name.get(ally) or (
        _with_article(roles[1]) if len(roles) > 1 and names else rng.choice(ALLY_ROLES)
    )
    ally_role = re.sub(r"^(?:her|his|their)\s+", f"{hero}'s ", ally_role, flags=re.I)
    rival = names[2] if len(names) > 2 else rng.choice(RIVALS)
    where = named_places + places
    place = where[0] if where else rng.choice(FALLBACK_PLACES)
    second = where[1] if len(where) > 1 else rng.choice([p for p in FALLBACK_PLACES if p != place])
    thing = things[0] if things else _the(rng.choice(FALLBACK_OBJECTS))
    return Cast(
        hero=hero,
        hero_role=hero_role,
        ally=ally,
        ally_role=ally_role,
        rival=rival,
        place=place,
        second_place=second,
        thing=thing,
        thing_plural=_is_plural(thing),
        title=" ".join(title.split()),
    )


# Where a bible names one place, the story's second stage happens in another part of it, never in a place the bible
# does not know.
_PARTS_OF_PLACE = ("the far side of {place}", "the old quarter of {place}", "the lower end of {place}")
# bible_draft writes "What matters: the brass key." into the notes; a writer may keep or change it.
_WHAT_MATTERS = re.compile(r"What matters:\s*([^.\n]+)", re.IGNORECASE)


def _in_prose(name: str) -> str:
    """A place's name as it reads mid-sentence: "The drowned city" -> "the drowned city", "harbour" -> "the
    harbour"; proper names ("Harrow", "Port Vell") as they are."""
    words = name.split()
    if not words:
        return name
    if words[0] in {"The", "A", "An"}:
        return " ".join([words[0].lower(), *words[1:]])
    return name if name[:1].isupper() or words[0].lower() in {"the", "a", "an"} else f"the {name}"


def _role_with_article(role: str) -> str:
    if not role or re.match(r"^(?:a|an|the|her|his|their|[A-Z][\w'-]*'s)\s", role):
        return role
    return _with_article(role)


def cast_with_bible(cast: Cast, bible: Bible, rng: random.Random) -> Cast:
    """The cast read from the prompt, with the bible's people, places and what matters in their place: the bible is
    what the writer checked, the prompt only what they first typed. Hero, ally and rival are the first three
    characters; the place and the second place the first two places."""
    people = bible.characters
    if people:
        hero, hero_role = people[0].name, _role_with_article(people[0].role)
        if len(people) > 1:
            ally, ally_role = people[1].name, _role_with_article(people[1].role)
        else:  # nobody the bible does not know: the ally is a role, not a name
            ally, ally_role = _the(rng.choice(ALLY_ROLES)), ""
        ally_role = re.sub(r"^(?:her|his|their)\s+", f"{hero}'s ", ally_role, flags=re.I)
        rival = people[2].name if len(people) > 2 else rng.choice(RIVALS)
        cast = replace(cast, hero=hero, hero_role=hero_role, ally=ally, ally_role=ally_role, rival=rival)
    if bible.places:
        place = _in_prose(bible.places[0].name)
        if len(bible.places) > 1:
            second = _in_prose(bible.places[1].name)
        else:
            second = rng.choice(_PARTS_OF_PLACE).format(place=place)
        cast = replace(cast, place=place, second_place=second)
    if match := _WHAT_MATTERS.search(bible.notes):
        thing = _the(match.group(1).strip())
        cast = replace(cast, thing=thing, thing_plural=_is_plural(thing))
    elif _bare_name(cast.thing) in {_bare_name(entry.name) for entry in [*bible.characters, *bible.places]}:
        # Read from the prompt as a thing, but the bible knows it as a place or a person ("the Skerry Light").
        thing = _the(rng.choice(FALLBACK_OBJECTS))
        cast = replace(cast, thing=thing, thing_plural=_is_plural(thing))
    return cast


def _bare_name(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", phrase.strip().lower())
