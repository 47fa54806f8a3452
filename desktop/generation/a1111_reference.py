"""Characters' portraits as reference pictures on an Automatic1111-compatible server, through the sd-webui-controlnet
extension's IP-Adapter: which model and preprocessor the server offers, and the units a txt2img body carries.

The request shape follows the extension's API (Mikubill/sd-webui-controlnet, wiki "API" and
internal_controlnet/args.py): `alwayson_scripts.controlnet.args` is a list of units, one picture each, with the
picture in `image` (the older `input_image` is only an alias, removed in 2024, and the two together are refused).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.generation.base import Reference

REFERENCE_KIND = "IP-Adapter (ControlNet)"

# The extension offers 3 units unless its settings say otherwise, and the WebUI drops args beyond a script's unit
# count without a word: more portraits than units would be sent for nothing. Three characters in one scene is also
# where IP-Adapter's blend of faces stops helping.
MAX_UNITS = 3
# Strong enough that a face and clothes carry over, weak enough that the scene's own prompt still sets the picture.
UNIT_WEIGHT = 0.7


@dataclass(frozen=True)
class IPAdapter:
    """What the server's ControlNet offers for reference pictures: one model, its preprocessor, how many units."""

    model: str  # as the extension names it: "ip-adapter_sd15 [6a3f6166]"
    module: str  # the preprocessor: "ip-adapter_clip_h", or "ip-adapter-auto" to let the extension match the model
    units: int


def names(answer: Any, key: str) -> list[str] | None:
    """The list of names under `key` in a ControlNet answer; None when the answer is not that shape."""
    values = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(values, list):
        return None
    return [value for value in values if isinstance(value, str)]


def unit_count(answer: Any) -> int:
    """`controlnet/settings` answers {"control_net_unit_count": n}; older versions have no such route."""
    count = answer.get("control_net_unit_count") if isinstance(answer, dict) else None
    if isinstance(count, int) and not isinstance(count, bool) and count >= 1:
        return min(count, MAX_UNITS)
    return MAX_UNITS


def _is_ip_adapter(name: str) -> bool:
    lowered = name.lower()
    return "ip-adapter" in lowered or "ip_adapter" in lowered


def _is_sdxl(name: str) -> bool:
    return "xl" in name.lower()


def _needs_faces(name: str) -> bool:
    # FaceID and PuLID models read a face with insightface and want a LoRA besides: not a general reference.
    lowered = name.lower().replace("_", "").replace("-", "")
    return "faceid" in lowered or "pulid" in lowered


def _model_for(models: Sequence[str], checkpoint: str) -> str | None:
    candidates = [name for name in models if _is_ip_adapter(name) and not _needs_faces(name)]
    if not candidates:
        return None
    if checkpoint:
        # An SD1.5 adapter on an SDXL checkpoint (or the reverse) fails inside the generation. Names only hint at the
        # family (Pony checkpoints are SDXL without saying so), so without an adapter of the hinted one, try the other.
        alike = [name for name in candidates if _is_sdxl(name) == _is_sdxl(checkpoint)]
        candidates = alike or candidates
    return candidates[0]


def _module_for(model: str, modules: Sequence[str]) -> str | None:
    """The CLIP preprocessor the model was trained with, under the names the extension used (new names first)."""
    lowered = model.lower()
    if "vit-g" in lowered or (_is_sdxl(model) and "vit-h" not in lowered):
        wanted = ("ip-adapter_clip_g", "ip-adapter_clip_sdxl")
    elif _is_sdxl(model):
        wanted = ("ip-adapter_clip_h", "ip-adapter_clip_sdxl_plus_vith")
    else:
        wanted = ("ip-adapter_clip_h", "ip-adapter_clip_sd15")
    for name in (*wanted, "ip-adapter-auto"):
        if name in modules:
            return name
    return None


def find_ip_adapter(
    models: Sequence[str], modules: Sequence[str], units: int, checkpoint: str = ""
) -> IPAdapter | None:
    """The IP-Adapter model to send portraits with, preferring one made for the checkpoint's family (SD1.5 or
    SDXL), and the preprocessor that model needs; None when the server lacks either."""
    model = _model_for(models, checkpoint)
    if model is None:
        return None
    module = _module_for(model, modules)
    return IPAdapter(model=model, module=module, units=units) if module is not None else None


def reference_scripts(adapter: IPAdapter, references: Sequence[Reference]) -> dict[str, Any]:
    """The txt2img body's `alwayson_scripts`: one enabled unit per portrait, the first `adapter.units` of them."""
    units = [
        {
            "enabled": True,
            "image": base64.b64encode(reference.image).decode("ascii"),
            "module": adapter.module,
            "model": adapter.model,
            "weight": UNIT_WEIGHT,
            "resize_mode": "Crop and Resize",
            "control_mode": "Balanced",
            "pixel_perfect": True,
        }
        for reference in references[: adapter.units]
    ]
    return {"controlnet": {"args": units}}


def reference_note(
    label: str, adapter: IPAdapter | None, models: Sequence[str] | None, modules: Sequence[str] | None
) -> str:
    """One line for the writer; `models` and `modules` are None when the extension did not answer readably."""
    if adapter is not None:
        return (
            f"{label} keeps each story's seed and sends the portraits of up to {adapter.units} characters in a "
            f"scene as reference pictures ({adapter.model})."
        )
    if models is None or modules is None:
        why = "install the ControlNet extension with an IP-Adapter model to send them"
    elif _model_for(models, "") is None:
        why = "its ControlNet extension has no IP-Adapter model — add one (such as ip-adapter_sd15) to send them"
    else:
        why = "its ControlNet extension is too old for IP-Adapter — update it to send them"
    return f"{label} keeps each story's seed; characters' portraits are kept but not sent: {why}."


def checkpoint_model_name(title: str) -> str:
    """`sd_model_checkpoint` ("sd15/dreamshaper_8.safetensors [879db523c3]") as txt2img's info names the same
    checkpoint in `sd_model_name` (the file's name without folder or extension: "dreamshaper_8"), so a story's
    pictures are recorded under one name whichever of the two told it."""
    name = title.strip()
    if name.endswith("]") and " [" in name:
        name = name[: name.rindex(" [")]
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, extension = os.path.splitext(name)
    return stem if extension.lower() in (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf") else name
