"""The one picture cache: what a writer sees after a theme change, and memory that stays bounded."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPalette, QPixmap

from desktop.models import Scene, UploadStatus
from desktop.ui.common import theme
from desktop.ui.common.pictures import PictureCache
from desktop.ui.common.resources import icon
from desktop.ui.common.widgets import badge_font, badge_pixmap
from desktop.ui.story.scene_card import SceneCard
from tests.support.storage_fixtures import upload_of


def test_the_cache_forgets_the_least_recently_used_first() -> None:
    one = QImage(100, 100, QImage.Format.Format_ARGB32)  # 40,000 bytes each
    cache = PictureCache(budget_bytes=100_000)
    cache.put(("a",), one)
    cache.put(("b",), one.copy())
    assert cache.get(("a",)) is not None  # "a" is now the most recent
    cache.put(("c",), one.copy())
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) is not None
    assert cache.bytes_used <= 100_000


def test_a_picture_is_drawn_once_per_key(qapp: Any) -> None:
    cache = PictureCache()
    drawn: list[int] = []

    def draw() -> QPixmap:
        drawn.append(1)
        made = QPixmap(8, 8)
        made.fill(QColor("red"))
        return made

    first = cache.kept(("dot", 8), draw)
    again = cache.kept(("dot", 8), draw)
    assert len(drawn) == 1 and first.cacheKey() == again.cacheKey()


def _ink_of(picture: QImage) -> QColor:
    """The colour of the most opaque pixel: an icon's ink."""
    best = QColor(0, 0, 0, 0)
    for y in range(picture.height()):
        for x in range(picture.width()):
            color = picture.pixelColor(x, y)
            if color.alpha() > best.alpha():
                best = color
    return best


def _switch_palette(qapp: Any, dark: bool) -> None:
    palette = QPalette(QColor("#202124") if dark else QColor("#f4f4f4"))
    qapp.setPalette(palette)
    theme.apply(qapp)


def test_icons_and_badges_follow_a_theme_change(qapp: Any, qtbot: Any) -> None:
    before = qapp.palette()
    try:
        _switch_palette(qapp, dark=False)
        light_ink = _ink_of(icon("edit").pixmap(QSize(24, 24)).toImage())
        light_badge = badge_pixmap("Uploaded", theme.Tone.success, badge_font(qapp.font()), "uploaded", 1.0)
        _switch_palette(qapp, dark=True)
        dark_ink = _ink_of(icon("edit").pixmap(QSize(24, 24)).toImage())
        dark_badge = badge_pixmap("Uploaded", theme.Tone.success, badge_font(qapp.font()), "uploaded", 1.0)
        text = qapp.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
        assert dark_ink.rgb() == text.rgb() != light_ink.rgb()  # the icon took the new palette's text colour
        assert dark_badge.toImage() != light_badge.toImage()
    finally:
        qapp.setPalette(before)
        theme.apply(qapp)


def test_an_icon_is_drawn_sharp_at_the_size_and_pixel_ratio_asked_for(qapp: Any) -> None:
    made = icon("edit", QColor("#336699"))
    for logical, ratio in ((16, 1.0), (20, 1.0), (24, 2.0), (36, 1.5)):
        pixmap = made.pixmap(QSize(logical, logical), ratio)
        assert pixmap.size() == QSize(round(logical * ratio), round(logical * ratio))
        assert pixmap.deviceIndependentSize().toSize() == QSize(logical, logical)
        assert _ink_of(pixmap.toImage()).rgb() == QColor("#336699").rgb()
    disabled = made.pixmap(QSize(16, 16), 1.0, QIcon.Mode.Disabled)
    assert _ink_of(disabled.toImage()).alpha() < 255  # dimmed


def test_a_scene_card_after_a_theme_change_looks_like_one_made_in_the_new_theme(qapp: Any, qtbot: Any) -> None:
    """Its frame, badge, placeholder and action buttons are kept pictures: none may keep the old theme's colours."""
    before = qapp.palette()

    def card_with_failed_upload() -> SceneCard:
        card = SceneCard(0)
        qtbot.addWidget(card)
        scene = Scene.create(uuid.uuid4(), 0, "Word from the North", "The light came slowly over the harbour.")
        card.set_scene(scene)
        card.set_upload(upload_of(scene, UploadStatus.failed, "The bucket is full."))
        card.resize(800, card.heightForWidth(800))
        card.show()
        qtbot.waitExposed(card)
        card.thumbnail.setFocus()  # the same focus in both: a focus ring is not a colour
        return card

    try:
        _switch_palette(qapp, dark=False)
        kept_card = card_with_failed_upload()
        light = kept_card.grab().toImage()
        _switch_palette(qapp, dark=True)
        fresh = card_with_failed_upload().grab().toImage()
        assert fresh != light
        qtbot.waitUntil(lambda: kept_card.grab().toImage() == fresh, timeout=2000)
    finally:
        qapp.setPalette(before)
        theme.apply(qapp)
