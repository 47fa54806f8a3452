"""`python -m tests.bench pictures`: what drawing pictures on demand costs at start, and why the scene card's one
memo (its rows by width) stays.

- `window_svg_renders`, `window_ms`: SVG renders and time to make and show the main window (before its database),
  with every picture drawn when first asked for.
- A story column of 40 written cards, the last one growing as a scene streams in: the time of one growth step with
  the memo (`grow_ms`), and with it bypassed in the same run (`grow_no_rows_ms`). `heightForWidth_calls` is how
  often the column asks for a card's rows during one step: each would lay the card's text out again.
Pass: window_svg_renders ≤ 40 (a window's worth of icons, at the sizes shown), and the memo saves at least half of a
growth step (grow_no_rows_ms ≥ 2 × grow_ms); otherwise it is not worth keeping.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMargins, QSettings
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from desktop.models import Scene
from desktop.secrets import SecretStore
from desktop.services.runtime import Runtime
from desktop.ui.common import resources
from desktop.ui.story.card_column import CardColumn
from desktop.ui.story.scene_card import SceneCard
from desktop.ui.window.main_window import MainWindow
from tests.bench.bench_window import bench_settings

CARDS = 40
STEPS = 30
LINE = "The light came slowly over the harbour, and the boats lay still on the grey water below the lamp. "
TARGET_SVG_RENDERS = 40
TARGET_MEMO_SAVING = 2.0


class _CountingRenderer(QSvgRenderer):
    renders = 0

    def render(self, *args: Any) -> None:  # type: ignore[override]
        type(self).renders += 1
        super().render(*args)


def _window(app: QApplication) -> dict[str, float]:
    original = resources.QSvgRenderer
    resources.QSvgRenderer = _CountingRenderer  # type: ignore[misc]
    try:
        with tempfile.TemporaryDirectory(prefix="storyforge-bench-pictures-") as folder:
            for settings_format in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
                QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(Path(folder) / "qsettings"))
            started = time.perf_counter()
            runtime = Runtime(bench_settings(Path(folder), "postgresql://127.0.0.1:1/unused", 0.0), SecretStore())
            window = MainWindow(runtime)
            window.show()
            window.grab()  # laid out and painted once
            elapsed = time.perf_counter() - started
            window.hide()
            window.deleteLater()
            app.processEvents()
    finally:
        resources.QSvgRenderer = original  # type: ignore[misc]
    return {"window_svg_renders": float(_CountingRenderer.renders), "window_ms": elapsed * 1000}


@contextmanager
def _bypassed(owner: type, name: str, forget: Callable[[Any], None]) -> Iterator[None]:
    """Call `forget(self)` before each call of `owner.name`: the memo it reads starts empty every time."""
    original = getattr(owner, name)

    def forgetting(self: Any, *args: Any) -> Any:
        forget(self)
        return original(self, *args)

    setattr(owner, name, forgetting)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _growth(app: QApplication) -> dict[str, float]:
    column = CardColumn(QMargins(10, 10, 10, 10), spacing=12)
    column.resize(900, 1200)
    cards = [SceneCard(index) for index in range(CARDS)]
    for index, card in enumerate(cards):
        column.insert(index, card)
        card.set_scene(Scene.create(uuid.uuid4(), index, "A quiet day", (LINE * 6 + "\n\n") * 3))
    column.show()
    app.processEvents()
    growing = cards[-1]
    asked = [0]
    height_for_width = SceneCard.heightForWidth

    def counted(self: SceneCard, width: int) -> int:
        asked[0] += 1
        return height_for_width(self, width)

    def step_ms() -> float:
        started = time.perf_counter()
        for step in range(STEPS):
            growing._text.set_text(LINE * (step + 2))  # as _show_streamed does, without its timer
            growing._show_state()
            app.processEvents()  # the column restacks, what changed is painted
        return (time.perf_counter() - started) * 1000 / STEPS

    step_ms()  # warm: fonts, pictures
    SceneCard.heightForWidth = counted  # type: ignore[method-assign]
    with_memos = step_ms()
    SceneCard.heightForWidth = height_for_width  # type: ignore[method-assign]
    calls = asked[0] / STEPS
    with _bypassed(SceneCard, "_rows_at", lambda card: card._rows.clear()):
        no_rows = step_ms()
    column.hide()
    column.deleteLater()
    app.processEvents()
    return {
        "grow_ms": with_memos,
        "grow_no_rows_ms": no_rows,
        "heightForWidth_calls": calls,
    }


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    figures = _window(app) | _growth(app)
    passed = (
        figures["window_svg_renders"] <= TARGET_SVG_RENDERS
        and figures["grow_no_rows_ms"] >= TARGET_MEMO_SAVING * figures["grow_ms"]
    )
    print(
        f"bench pictures: window_svg_renders={figures['window_svg_renders']:.0f} "
        f"window_ms={figures['window_ms']:.0f} grow_ms={figures['grow_ms']:.2f} "
        f"grow_no_rows_ms={figures['grow_no_rows_ms']:.2f} "
        f"heightForWidth_calls={figures['heightForWidth_calls']:.0f} cards={CARDS} "
        f"{'ok' if passed else 'FAILED'}"
    )
    return 0 if passed else 1
