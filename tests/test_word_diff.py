"""The History view's word diff: words compared without their spacing, pieces that keep it, counts, rich text."""

from __future__ import annotations

from desktop.ui.story.word_diff import Change, Piece, as_html, word_diff


def text_of(pieces: list[Piece], *keep: Change) -> str:
    return "".join(piece.text for piece in pieces if piece.change in keep)


def test_the_same_text_is_one_unchanged_piece() -> None:
    diff = word_diff("The fox ran.\nHome.", "The fox ran.\nHome.")
    assert diff.unchanged and diff.pieces == [Piece(Change.same, "The fox ran.\nHome.")]
    assert diff.summary == "Same words as the current version."


def test_a_replaced_word_is_struck_then_added_and_each_side_reads_as_written() -> None:
    diff = word_diff("The quick fox ran home.", "The slow fox ran home.")
    assert diff.pieces == [
        Piece(Change.same, "The "),
        Piece(Change.deleted, "quick"),
        Piece(Change.same, " "),
        Piece(Change.added, "slow"),
        Piece(Change.same, " fox ran home."),
    ]
    assert (diff.added, diff.deleted) == (1, 1)
    assert text_of(diff.pieces, Change.same, Change.deleted) == "The quick  fox ran home."


def test_added_and_removed_words_are_counted_and_said() -> None:
    diff = word_diff("She waited by the door.", "She waited a long while by the old door.")
    assert [piece.text for piece in diff.pieces if piece.change is Change.added] == ["a long while", "old"]
    assert diff.deleted == 0 and diff.added == 4
    assert diff.summary == "4 words only in this version."
    removed = word_diff("One two three.", "One three.")
    assert removed.summary == "1 word only in the current version."
    assert text_of(removed.pieces, Change.deleted) == "two"


def test_line_breaks_and_spacing_are_kept_but_are_no_change() -> None:
    diff = word_diff("First line.\nSecond line.", "First line.\n\n  Second line.")
    assert diff.unchanged
    assert text_of(diff.pieces, Change.same) == "First line.\n\n  Second line."
    moved = word_diff("A b\nc d", "A x\nc d")
    assert text_of(moved.pieces, Change.same, Change.added) == "A  x\nc d"


def test_empty_texts() -> None:
    assert word_diff("", "").pieces == [] and word_diff("", "").unchanged
    assert word_diff("", "New words").pieces == [Piece(Change.added, "New words")]
    assert word_diff("Old words", "").pieces == [Piece(Change.deleted, "Old words")]


def test_rich_text_marks_changes_escapes_the_writer_s_words_and_keeps_line_breaks() -> None:
    diff = word_diff("A <b>bold</b> plan for the night", "A <i>quiet</i> plan for the night\nindeed")
    html = as_html(diff, added_color="#1e7a44", deleted_color="#b3261e")
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'color: #b3261e; text-decoration: line-through;">&lt;b&gt;bold&lt;/b&gt;' in html
    assert 'color: #1e7a44; text-decoration: underline;">&lt;i&gt;quiet&lt;/i&gt;' in html
    assert "white-space: pre-wrap" in html and "night\n<span" in html


def test_a_rewritten_passage_reads_as_one_struck_run_and_one_new_one() -> None:
    diff = word_diff(
        "Start. The lamp burned low and nobody came. End.", "Start. A storm broke the pier and everybody ran. End."
    )
    changed = [piece for piece in diff.pieces if piece.change is not Change.same]
    assert [piece.change for piece in changed] == [Change.deleted, Change.added]
    assert changed[0].text == "The lamp burned low and nobody came."
    assert changed[1].text == "A storm broke the pier and everybody ran."
    assert text_of(diff.pieces, Change.same).startswith("Start. ") and diff.pieces[-1] == Piece(Change.same, " End.")
