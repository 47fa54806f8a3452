"""The reading page's scroll bar, shaped by the app's style sheet: a thin handle on the page's colour, opaque."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QStyle, QStyleOptionSlider, QWidget

from desktop.ui.common import theme
from desktop.ui.story.page_scroll_bar import PageScrollBar


def test_the_scroll_bar_shows_where_the_reader_is_on_the_pages_colour(qapp: Any, qtbot: Any) -> None:
    area = QScrollArea()
    area.setObjectName("storyScroll")
    area.setStyleSheet(theme.stylesheet())  # as the app sets on itself: its rules give the bar a clear background
    area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    area.setVerticalScrollBar(PageScrollBar())
    page = QWidget()
    page.setMinimumHeight(3000)
    area.setWidget(page)
    area.resize(400, 500)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    bar = area.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)

    option = QStyleOptionSlider()
    bar.initStyleOption(option)
    handle = bar.style().subControlRect(
        QStyle.ComplexControl.CC_ScrollBar, option, QStyle.SubControl.SC_ScrollBarSlider, bar
    )
    image = bar.grab().toImage()
    middle = bar.width() // 2
    assert bar.height() // 3 < handle.center().y() < bar.height() * 2 // 3
    assert image.pixelColor(middle, handle.center().y()) != theme.page_color()
    assert image.pixelColor(middle, handle.top() - 10) == theme.page_color()
    assert image.pixelColor(0, handle.center().y()) == theme.page_color()  # the handle is thinner than the bar
