"""The offline writer: a five-part arc over however many scenes were asked, from the story's bible (its people,
places and what matters) and, where the bible is silent, the writer's own title and prompt. The prompt is read for
names, never pasted into the prose.

Deterministic for a seed (the same seed and request give the same story, in any process); different seeds give
different names where the prompt has none, different beats, light and weather.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncGenerator

from desktop.bible import Bible
from desktop.generation.base import OFFLINE_LABEL, SceneDraft, SceneStreaming, SceneWritten, TextEvent, TextRequest
from desktop.generation.bible_draft import draft_bible
from desktop.generation.offline_arc import ARC, ENDINGS, Beat, Stage, stages_for
from desktop.generation.offline_cast import Cast, cast_with_bible, read_cast

_SMALL_WORDS = frozenset(
    ("a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "but", "by", "with", "from")
)
_SENTENCE_START = re.compile(r"(^|[.!?]\s+|\n)([a-z])")
_WORDS_PER_CHUNK = 6


def title_case(phrase: str) -> str:
    words = phrase.split()
    return " ".join(
        word if (index and word.lower() in _SMALL_WORDS) or word[:1].isupper() else word[:1].upper() + word[1:]
        for index, word in enumerate(words)
    )


def _capitalise_sentences(text: str) -> str:
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


class OfflineStory:
    """Every scene of one story, written on demand; `scene(i)` is the same each time it is asked for."""

    def __init__(self, request: TextRequest) -> None:
        self._request = request
        self._seed = request.seed
        rng = random.Random(f"story:{request.seed}:{request.title}:{request.prompt}:{request.characters}")
        cast = read_cast(request.title, request.prompt, request.characters, rng)
        # Its own generator, so a story without a bible keeps the beats it had before bibles existed.
        self.cast: Cast = cast_with_bible(cast, request.bible, random.Random(f"bible:{request.seed}:{request.title}"))
        self.stages = stages_for(request.scene_count)
        self._beat_order = {stage: rng.sample(range(len(part.beats)), len(part.beats)) for stage, part in ARC.items()}
        self._titles: list[str] = []
        for index in range(request.scene_count):
            self._titles.append(self._title(index, 0, taken=set(self._titles)))

    def _position_in_stage(self, index: int) -> int:
        first = self.stages[index][0]
        return sum(1 for earlier in self.stages[:index] if earlier[0] is first)

    def _beat(self, stage: Stage, index: int, variant: int) -> Beat:
        order = self._beat_order[stage]
        return ARC[stage].beats[order[(self._position_in_stage(index) + variant) % len(order)]]

    def _fill(self, template: str, index: int, **extra: str) -> str:
        cast = self.cast
        values = {
            "hero": cast.hero,
            "hero_full": cast.hero_full,
            "ally": cast.ally,
            "ally_full": f"{cast.ally}, {cast.ally_role}," if cast.ally_role else cast.ally,
            "rival": cast.rival,
            "place": cast.place,
            "second_place": cast.second_place,
            "thing": cast.thing,
            "was": "were" if cast.thing_plural else "was",
            "title": cast.title,
            "place_title": title_case(cast.place),
            "second_place_title": title_case(cast.second_place),
            "thing_title": title_case(cast.thing),
            "rival_title": title_case(cast.rival),
            **extra,
        }
        filled = template.format(**values)
        return filled.replace(",,", ",").replace(",.", ".").replace(", ,", ",")

    def _title(self, index: int, variant: int, taken: set[str]) -> str:
        beat = self._beat(self.stages[index][0], index, variant)
        rng = random.Random(f"title:{self._seed}:{index}:{variant}")
        options = [self._fill(option, index) for option in beat.titles]
        rng.shuffle(options)
        for option in options:
            if option not in taken:
                return option
        number = 2
        while f"{options[0]}, Part {number}" in taken:
            number += 1
        return f"{options[0]}, Part {number}"

    def scene(self, index: int, variant: int = 0) -> SceneDraft:
        stages = self.stages[index]
        main = ARC[stages[0]]
        rng = random.Random(f"scene:{self._seed}:{index}:{variant}")
        time, weather = rng.choice(main.times), rng.choice(main.weathers)
        setting = rng.choice(main.settings) + (" {hero_full} was already awake." if index == 0 else "")
        paragraphs = [self._fill(setting, index, time=time, weather=weather)]
        paragraphs += [self._fill(self._beat(stage, index, variant).text, index) for stage in stages]
        is_last = index == len(self.stages) - 1
        closing = rng.choice(ENDINGS) if is_last else rng.choice(ARC[stages[-1]].bridges)
        paragraphs.append(self._fill(closing, index))
        text = "\n\n".join(_capitalise_sentences(paragraph) for paragraph in paragraphs)
        if variant:
            others = {title for number, title in enumerate(self._titles) if number != index}
            title = self._title(index, variant, taken=others | {self._titles[index]})
        else:
            title = self._titles[index]
        image = self._fill(self._beat(stages[0], index, variant).image, index)
        image_prompt = f"{main.view} of {image}, {time}, {weather}. Mood: {main.mood}."
        return SceneDraft(title=title, text=text, image_prompt=image_prompt)


def _chunks(text: str) -> list[str]:
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + _WORDS_PER_CHUNK]) for i in range(0, len(words), _WORDS_PER_CHUNK)] or [text]


class OfflineTextProvider:
    """Writes with no network; `delay` seconds per scene are spread over its streamed chunks."""

    label = OFFLINE_LABEL

    def __init__(self, delay: float = 0.0) -> None:
        self._delay = delay

    async def stream_scenes(self, request: TextRequest) -> AsyncGenerator[TextEvent, None]:
        story = OfflineStory(request)
        for index in range(request.start, request.end):
            scene = story.scene(index, request.variant)
            chunks = _chunks(scene.text)
            pause = self._delay / len(chunks)
            so_far = ""
            for chunk in chunks:
                await asyncio.sleep(pause)
                so_far += chunk
                yield SceneStreaming(index, so_far.rstrip())
            yield SceneWritten(index, scene)

    async def draft_bible(self, title: str, prompt: str, style: str, characters: str) -> Bible:
        return draft_bible(title, prompt, style, characters)

    async def aclose(self) -> None:
        return None
