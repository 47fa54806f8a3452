"""What is asked of a language model, and what goes into every image prompt."""

from __future__ import annotations

import json
from typing import Any

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

SYSTEM_PROMPT = (
    "You write illustrated stories, scene by scene, in clear and vivid prose. "
    "Answer with JSON only, no other text, in exactly this shape: "
    '{"scenes": [{"title": "…", "text": "…", "image_prompt": "…"}]}. '
    "Each scene has a short title, two to four paragraphs of story text, and an image_prompt: one or two "
    "sentences describing a single illustration of the scene (who is visible, where, what they do, the light "
    "and the mood), with no text or lettering in the picture."
)

_CONTEXT_CHARS = 600
IMAGE_PROMPT_MAX = 3800


def response_format() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "story_scenes", "strict": True, "schema": SCENES_SCHEMA}}


def _summary(number: int, scene: SceneDraft) -> str:
    text = " ".join(scene.text.split())
    if len(text) > _CONTEXT_CHARS:
        text = text[:_CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return f"Scene {number}: {scene.title}\n{text}"


def chat_messages(request: TextRequest) -> list[dict[str, str]]:
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
    if first_wanted == last_wanted:
        lines.append(f'Write scene {first_wanted} only: a JSON object with a list "scenes" of exactly one scene.')
    else:
        lines.append(
            f'Write scenes {first_wanted} to {last_wanted}: a JSON object with a list "scenes" of exactly '
            f"{last_wanted - first_wanted + 1} scenes."
        )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n".join(lines)}]


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
