"""What is asked of a language model, and what goes into every image prompt."""

from __future__ import annotations

import json
from typing import Any, cast

from desktop.bible import IMAGE_BUDGET, Bible
from desktop.generation.base import SceneDraft, TextRequest

SCENES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "scenes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "text": {"type": "string"},
                    "image_prompt": {"type": "string"},
                },
                "required": ["title", "text", "image_prompt"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["scenes"],
    "additionalProperties": False,
}

_SCENE_IN_WORDS = (
    "Each scene has a short title of its own, two to four paragraphs of story text, and a picture description: "
    "one or two sentences describing a single illustration of the scene (who is visible, where, what they do, the "
    "light and the mood), with no text or lettering in the picture."
)
# The shape in words, never as an example: small models copy an example's placeholder text ("…") as the scene.
SYSTEM_PROMPT = (
    "You write illustrated stories, scene by scene, in clear and vivid prose. "
    "Answer with JSON only, no other text: one object whose only key, scenes, holds a list of scene objects, each "
    "with three string fields: title, text and image_prompt (the picture description). "
    f"{_SCENE_IN_WORDS} Never repeat a scene that is already written."
)
# For servers that take no JSON schema: headed sections, which small models follow and which read back even when
# half followed (desktop/generation/sections.py).
PLAIN_SYSTEM_PROMPT = (
    "You write illustrated stories, scene by scene, in clear and vivid prose. "
    f"{_SCENE_IN_WORDS} "
    "Write each scene as a section: first a heading line made of two hash signs, the word Scene, the scene's "
    "number, a colon and the scene's title; then the story text; then one line that starts with the word Picture "
    "and a colon, followed by the picture description. No other text before, between or after the scenes. "
    "Never repeat a scene that is already written."
)

# What one scene costs in tokens: two to four paragraphs (≈ 350 words ≈ 500 tokens) with its title, picture and
# the JSON around them, with room to spare; a model that keeps writing past the scenes asked is cut off by it.
TOKENS_PER_SCENE = 900
TOKENS_OVERHEAD = 200
# Servers reject a max_tokens above the model's own limit; 4096 is within every chat model's. A long story asked
# at once is then written over follow-up requests, as for a model that stops short.
TOKENS_CAP = 4096


def max_tokens(wanted: int) -> int:
    return min(TOKENS_CAP, TOKENS_OVERHEAD + TOKENS_PER_SCENE * max(1, wanted))


def scenes_schema(wanted: int) -> dict[str, Any]:
    """The schema for exactly `wanted` scenes: a server that turns the schema into a grammar (llama.cpp, vLLM,
    Ollama) then cannot let the model write more, or stop short."""
    schema = json.loads(json.dumps(SCENES_SCHEMA))
    scenes = schema["properties"]["scenes"]
    scenes["minItems"] = scenes["maxItems"] = max(1, wanted)
    return cast(dict[str, Any], schema)


_CONTEXT_CHARS = 600
IMAGE_PROMPT_MAX = 3800


def response_format(wanted: int) -> dict[str, Any]:
    schema = scenes_schema(wanted)
    return {"type": "json_schema", "json_schema": {"name": "story_scenes", "strict": True, "schema": schema}}


def _summary(number: int, scene: SceneDraft) -> str:
    text = " ".join(scene.text.split())
    if len(text) > _CONTEXT_CHARS:
        text = text[:_CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return f"Scene {number}: {scene.title}\n{text}"


def chat_messages(request: TextRequest, *, plain: bool = False) -> list[dict[str, str]]:
    lines = [f"Story title: {request.title}", f"What the story is about: {request.prompt}"]
    bible = bible_lines(request)
    if bible:
        lines.append("The story's bible (keep to it):")
        lines.append(bible)
    else:  # a request made without one (older callers): the two free-text fields
        if request.style:
            lines.append(f"Style: {request.style}")
        if request.characters:
            lines.append(f"Characters: {request.characters}")
    lines.append(
        f"The whole story has {request.scene_count} scenes, with a beginning, rising action, a turn, "
        "a climax and a resolution."
    )
    if request.earlier:
        first = request.start - len(request.earlier) + 1
        lines.append("The scenes written so far:")
        lines += [_summary(first + offset, scene) for offset, scene in enumerate(request.earlier)]
    if request.later:
        lines.append("The scenes that follow:")
        lines += [_summary(request.end + 1 + offset, scene) for offset, scene in enumerate(request.later)]
    if request.replacing is not None:
        lines.append(f"Write a new, different version of scene {request.start + 1}; the old one was:")
        lines.append(_summary(request.start + 1, request.replacing))
    elif request.earlier and request.later:  # a scene inserted between two others
        lines.append(f"Scene {request.start + 1} is new: it leads from the scene before it to the one after it.")
    first_wanted, last_wanted = request.start + 1, request.end
    count = last_wanted - first_wanted + 1
    if request.earlier and request.replacing is None:
        # A follow-up: small models renumber from 1 and retell what they were shown unless told where to go on.
        done = "Scene 1 is" if first_wanted == 2 else f"Scenes 1 to {first_wanted - 1} are"
        lines.append(f"{done} written already: do not write {'it' if first_wanted == 2 else 'them'} again.")
    if plain:
        which = f"scene {first_wanted} only" if count == 1 else f"scenes {first_wanted} to {last_wanted}"
        lines.append(
            f"Write {which}: {'one section' if count == 1 else f'{count} sections'}, the first headed "
            f"Scene {first_wanted}."
        )
    elif count == 1:
        lines.append(f'Write scene {first_wanted} only: a JSON object with a list "scenes" of exactly one scene.')
    else:
        lines.append(
            f'Write scenes {first_wanted} to {last_wanted}: a JSON object with a list "scenes" of exactly '
            f"{count} scenes."
        )
    system = PLAIN_SYSTEM_PROMPT if plain else SYSTEM_PROMPT
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(lines)}]


def bible_lines(request: TextRequest) -> str:
    """The bible within its budget: first what the scenes to write are about (their neighbours, the scene being
    replaced, the story's own words), then the rest as room allows."""
    around = [*request.earlier[-2:], *request.later[:2], *([request.replacing] if request.replacing else [])]
    about = " ".join([request.title, request.prompt, *(f"{scene.title} {scene.text}" for scene in around)])
    return request.bible.for_text(about)


def compose_image_prompt(scene_prompt: str, title: str, bible: Bible, scene_text: str = "") -> str:
    """The scene's own picture, then the story's visual style and the look of each character and place the scene
    names, so a story's people and places look the same in every picture. The scene's words come first: servers
    that cut a long prompt cut the looks, never the scene."""
    parts = [scene_prompt.strip().rstrip(".") or title.strip().rstrip(".")]
    looks = bible.looks_in(" ".join([title, scene_prompt, scene_text]))
    extra = []
    if bible.style:
        extra.append(f"Style: {' '.join(bible.style.split())}")
    extra += [" ".join(look.split()).rstrip(".") for look in looks]
    used = 0
    for part in extra:
        if used + len(part) > IMAGE_BUDGET:
            break
        parts.append(part)
        used += len(part)
    prompt = ". ".join(parts) + "."
    return prompt if len(prompt) <= IMAGE_PROMPT_MAX else prompt[: IMAGE_PROMPT_MAX - 1] + "…"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
