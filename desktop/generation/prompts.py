"""What is asked of a language model, and what goes into every image prompt."""

from __future__ import annotations

import json
from typing import Any

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


def compose_image_prompt(scene_prompt: str, title: str, style: str, characters: str) -> str:
    """The scene's own picture, with the story's style and characters, so a story's images stay consistent."""
    parts = [scene_prompt.strip().rstrip(".") or title.strip().rstrip(".")]
    if characters.strip():
        parts.append(f"Characters, the same in every picture: {' '.join(characters.split())}")
    if style.strip():
        parts.append(f"Style: {' '.join(style.split())}")
    prompt = ". ".join(parts) + "."
    return prompt if len(prompt) <= IMAGE_PROMPT_MAX else prompt[: IMAGE_PROMPT_MAX - 1] + "…"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
