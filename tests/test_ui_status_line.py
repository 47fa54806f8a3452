"""The story header's status lines: a long line is cut with an ellipsis and offers its whole text as a tooltip."""

from __future__ import annotations

from typing import Any

from desktop.ui.common.widgets import StatusLine

LINE = "7 of 12 scenes · 5 images uploaded · 2 painting · 1 upload failed"


def test_a_line_too_long_for_its_width_shows_whole_in_the_tooltip(qapp: Any, qtbot: Any) -> None:
    line = StatusLine("Story progress")
    qtbot.addWidget(line)
    line.show()
    line.resize(line.fontMetrics().horizontalAdvance(LINE) + 10, line.sizeHint().height())
    line.setText(LINE)
    assert line.text() == LINE and line.toolTip() == ""
    assert line.accessibleName() == "Story progress" and line.accessibleDescription() == LINE

    height_before = line.sizeHint().height()
    line.resize(120, line.height())
    assert line.toolTip() == LINE
    line.setText("Done")
    assert line.toolTip() == "" and line.sizeHint().height() == height_before
