"""The ComfyUI workflow a scene is painted with: a graph in ComfyUI's API format (Workflow → Export (API)) with
placeholders that each request fills.

Placeholders are string values in the graph's node inputs:
- "{{prompt}}", "{{negative_prompt}}", "{{checkpoint}}": text. They may also stand inside a longer string
  ("masterpiece, {{prompt}}"), where only that part is replaced.
- "{{seed}}", "{{width}}", "{{height}}": numbers. The whole value must be the placeholder (JSON has no marked
  number); it becomes an integer.
"{{prompt}}" is required; the others are optional (a workflow without "{{seed}}" keeps its own seed, so it cannot
paint a scene's picture again). Filling walks the parsed graph: a prompt with quotes or braces never reaches the JSON
text.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.frozen import resources_dir
from desktop.generation.errors import ProviderError

TEXT_PLACEHOLDERS = ("prompt", "negative_prompt", "checkpoint")
NUMBER_PLACEHOLDERS = ("seed", "width", "height")
CHECKPOINT_LOADER = "CheckpointLoaderSimple"


def mark(name: str) -> str:
    return "{{" + name + "}}"


def default_workflow_path() -> Path:
    """The shipped workflow, resources/comfyui/text_to_image.json."""
    return resources_dir() / "comfyui" / "text_to_image.json"


@dataclass(frozen=True)
class Filling:
    prompt: str
    negative_prompt: str
    checkpoint: str
    seed: int
    width: int
    height: int

    def text(self, name: str) -> str:
        return {"prompt": self.prompt, "negative_prompt": self.negative_prompt, "checkpoint": self.checkpoint}[name]

    def number(self, name: str) -> int:
        return {"seed": self.seed, "width": self.width, "height": self.height}[name]


@dataclass(frozen=True)
class Workflow:
    graph: dict[str, Any]
    placeholders: frozenset[str]  # the names the graph holds

    def fill(self, values: Filling) -> dict[str, Any]:
        return {node_id: _filled(node, values) for node_id, node in copy.deepcopy(self.graph).items()}

    def fixed_checkpoint(self) -> str:
        """The checkpoint a workflow names itself (no "{{checkpoint}}"), for the picture's record; "" if none."""
        for node in self.graph.values():
            name = node["inputs"].get("ckpt_name") if node.get("class_type") == CHECKPOINT_LOADER else None
            if isinstance(name, str) and mark("checkpoint") not in name:
                return name
        return ""


def _filled(value: Any, values: Filling) -> Any:
    if isinstance(value, dict):
        return {key: _filled(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, values) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    for name in NUMBER_PLACEHOLDERS:
        if value == mark(name):
            return values.number(name)
    for name in TEXT_PLACEHOLDERS:
        value = value.replace(mark(name), values.text(name))
    return value


def _found(value: Any, names: set[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _found(item, names)
    elif isinstance(value, list):
        for item in value:
            _found(item, names)
    elif isinstance(value, str):
        names.update(name for name in (*TEXT_PLACEHOLDERS, *NUMBER_PLACEHOLDERS) if mark(name) in value)


def parse_workflow(text: str, where: str) -> Workflow:
    """The workflow in `text`; ProviderError with one line saying what is wrong with it (`where` names the file)."""
    try:
        graph = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        at = f" (line {line})" if line else ""
        raise ProviderError(
            f"The ComfyUI workflow {where} is not valid JSON{at} — export it again from ComfyUI with "
            "Workflow → Export (API), or clear the workflow in Settings to use the shipped one."
        ) from exc
    if isinstance(graph, dict) and isinstance(graph.get("nodes"), list):
        raise ProviderError(
            f"The ComfyUI workflow {where} is in ComfyUI's editor format, not its API format — save it with "
            "Workflow → Export (API)."
        )
    nodes_ok = isinstance(graph, dict) and graph and all(_is_node(node) for node in graph.values())
    if not nodes_ok:
        raise ProviderError(
            f"The ComfyUI workflow {where} is not a workflow in ComfyUI's API format (each node needs a class_type "
            "and inputs) — save it with Workflow → Export (API)."
        )
    names: set[str] = set()
    _found(graph, names)
    if "prompt" not in names:
        raise ProviderError(
            f'The ComfyUI workflow {where} has no {mark("prompt")} placeholder — put "{mark("prompt")}" as the '
            "text of its positive prompt node."
        )
    return Workflow(graph, frozenset(names))


def _is_node(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("class_type"), str) and isinstance(node.get("inputs"), dict)


def load_workflow(path: str) -> Workflow:
    """The workflow at `path` ("" for the shipped one). Blocking: run on the executor."""
    file = Path(path).expanduser() if path.strip() else default_workflow_path()
    where = f"“{file.name}”"
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not a text file"
        raise ProviderError(
            f"The ComfyUI workflow {where} cannot be read ({reason}) — choose another file in Settings."
        ) from exc
    return parse_workflow(text, where)
