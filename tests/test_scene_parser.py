"""What a model answers is read into scenes however it comes: JSON in fences or prose, trailing commas, cut off,
a numbered list; nothing else is ever raised than the plain 'no scenes' error."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from desktop.generation.base import SceneDraft, TextRequest
from desktop.generation.errors import SceneParseError
from desktop.generation.parsing import parse_scenes
from desktop.generation.scene_check import rejection
from desktop.generation.sections import SectionScanner, parse_sections
from desktop.generation.stream_scanner import JsonSceneScanner

LETTERS = "abcdefghijklmnopqrstuvwxyz "
TITLE = st.text(alphabet=LETTERS, min_size=1, max_size=30).map(lambda t: " ".join(t.split()).title()).filter(bool)
SENTENCE = (
    st.text(alphabet=LETTERS, min_size=1, max_size=80)
    .map(lambda t: " ".join(t.split()))
    .filter(bool)
    .map(lambda t: t.capitalize() + ".")
)
ANY_TEXT = st.text(min_size=1, max_size=80).filter(lambda value: value.strip() != "")


@st.composite
def scenes(draw: st.DrawFn, text: st.SearchStrategy[str] = SENTENCE) -> list[dict[str, str]]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [
        {
            "title": draw(TITLE),
            "text": draw(text),
            "image_prompt": draw(SENTENCE),
        }
        for _ in range(count)
    ]


def _as_pairs(drafts: list[SceneDraft]) -> list[tuple[str, str]]:
    return [(draft.title, draft.text) for draft in drafts]


def _expected(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(" ".join(item["title"].split()), item["text"].strip()) for item in items]


def test_plain_json_object() -> None:
    raw = json.dumps({"scenes": [{"title": "Arrival", "text": "The gate opens.", "image_prompt": "A gate"}]})
    assert parse_scenes(raw) == [SceneDraft(title="Arrival", text="The gate opens.", image_prompt="A gate")]


def test_fenced_json_with_prose_and_trailing_commas() -> None:
    raw = (
        "Sure! Here is the story you asked for:\n```json\n"
        '{"scenes": [\n  {"title": "One", "text": "First.", "image_prompt": "a",},\n'
        '  {"title": "Two", "text": "Second.", "image_prompt": "b",},\n]}\n```\nLet me know if you want changes.'
    )
    assert _as_pairs(parse_scenes(raw)) == [("One", "First."), ("Two", "Second.")]


def test_a_bare_list_with_other_key_names() -> None:
    raw = '[{"name": "Dawn", "content": "Light.", "illustration": "sun"}, {"heading": "Dusk", "body": "Dark."}]'
    drafts = parse_scenes(raw)
    assert _as_pairs(drafts) == [("Dawn", "Light."), ("Dusk", "Dark.")]
    assert drafts[0].image_prompt == "sun"


def test_an_answer_cut_off_keeps_the_complete_scenes() -> None:
    raw = '{"scenes": [{"title": "One", "text": "First."}, {"title": "Two", "text": "Seco'
    assert _as_pairs(parse_scenes(raw)) == [("One", "First.")]


def test_numbered_list_and_scene_headings() -> None:
    numbered = (
        "1. **The Gate**\nAma reaches the gate.\nImage prompt: a gate at dawn\n\n2. **The Road**\nThe road is long.\n"
    )
    drafts = parse_scenes(numbered)
    assert _as_pairs(drafts) == [("The Gate", "Ama reaches the gate."), ("The Road", "The road is long.")]
    assert drafts[0].image_prompt == "a gate at dawn"
    headings = "## Scene 1: Arrival\nThey arrive.\n\n## Scene 2: Departure\nThey leave.\n"
    assert _as_pairs(parse_scenes(headings)) == [("Arrival", "They arrive."), ("Departure", "They leave.")]


def test_reasoning_blocks_are_ignored() -> None:
    raw = '<think>Maybe {"title": "x"}…</think>{"scenes": [{"title": "Real", "text": "Yes."}]}'
    assert _as_pairs(parse_scenes(raw)) == [("Real", "Yes.")]


@pytest.mark.parametrize("raw", ["", "I'm sorry, I can't help with that.", '{"scenes": []}', "[1, 2, 3]", "{{{{"])
def test_nothing_readable_is_said_plainly(raw: str) -> None:
    with pytest.raises(SceneParseError, match="held no scenes"):
        parse_scenes(raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=scenes(ANY_TEXT),
    before=st.sampled_from(["", "Here you go:\n", "Of course! "]),
    after=st.sampled_from(["", "\nHope you like it.", " (3 scenes)"]),
    fenced=st.booleans(),
    indent=st.sampled_from([None, 2]),
    trailing_commas=st.booleans(),
)
def test_json_in_any_wrapping_gives_back_every_scene(
    items: list[dict[str, str]], before: str, after: str, fenced: bool, indent: int | None, trailing_commas: bool
) -> None:
    body = json.dumps({"scenes": items}, indent=indent, ensure_ascii=False)
    if trailing_commas:  # a comma after the last member of every object and list, as models write them
        objects = [
            "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in item.items()) + ",}"
            for item in items
        ]
        body = '{"scenes": [' + ",\n".join(objects) + ",],}"
    raw = f"{before}```json\n{body}\n```{after}" if fenced else f"{before}{body}{after}"
    assert _as_pairs(parse_scenes(raw)) == _expected(items)


@settings(max_examples=60, deadline=None)
@given(items=scenes(), cut=st.floats(min_value=0.0, max_value=1.0))
def test_a_cut_off_answer_gives_a_prefix_or_the_plain_error(items: list[dict[str, str]], cut: float) -> None:
    body = json.dumps({"scenes": items})
    truncated = body[: int(len(body) * cut)]
    try:
        found = _as_pairs(parse_scenes(truncated))
    except SceneParseError:
        return
    assert found == _expected(items)[: len(found)]


@settings(max_examples=60, deadline=None)
@given(items=scenes())
def test_numbered_lists_give_back_every_scene(items: list[dict[str, str]]) -> None:
    raw = "\n\n".join(
        f"{number}. **{item['title']}**\n{item['text']}\nImage prompt: {item['image_prompt']}"
        for number, item in enumerate(items, start=1)
    )
    assert _as_pairs(parse_scenes(raw)) == _expected(items)


@settings(max_examples=100, deadline=None)
@given(raw=st.text(max_size=400))
def test_any_text_gives_scenes_or_the_plain_error_and_nothing_else(raw: str) -> None:
    try:
        drafts = parse_scenes(raw)
    except SceneParseError:
        return
    assert all(draft.text.strip() for draft in drafts)


@settings(max_examples=100, deadline=None)
@given(noise=st.lists(st.sampled_from([*list('{}[]",:\\`\n'), "scenes", "text", "title", "null", "1"]), max_size=60))
def test_json_shaped_noise_never_breaks_the_parser(noise: list[str]) -> None:
    with contextlib.suppress(SceneParseError):
        parse_scenes("".join(noise))


@settings(max_examples=60, deadline=None)
@given(items=scenes(ANY_TEXT), cuts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60))
def test_the_streaming_scanner_finds_the_same_scenes_on_any_chunking(
    items: list[dict[str, str]], cuts: list[int]
) -> None:
    body = json.dumps({"scenes": items})
    scanner = JsonSceneScanner()
    found: list[SceneDraft] = []
    partial_seen: list[str] = []
    position = 0
    for size in [*cuts, len(body)]:
        result = scanner.feed(body[position : position + size])
        found += result.scenes
        if result.partial_text is not None:
            partial_seen.append(result.partial_text)
        position += size
        if position >= len(body):
            break
    assert _as_pairs(found) == _expected(items)
    assert scanner.raw == body
    # What streamed is always the start of some scene's text.
    texts = [item["text"] for item in items]
    assert all(any(text.startswith(partial) for text in texts) for partial in partial_seen)


# Headed sections: the plain format asked of servers that take no JSON schema, as small models half follow it ------

SECTIONS = """Sure! Here is the story you asked for:

## Scene 1: The Salt Gate
Ama waits at the gate.

She counts the lanterns.
Picture: Ama at a stone arch at dusk, lanterns lit.

## Scene 2: The Tide
The sea comes in.
Picture: Waves against a sea wall.
"""


def test_headed_sections_are_read_with_their_pictures() -> None:
    assert parse_sections(SECTIONS) == [
        SceneDraft(
            title="The Salt Gate",
            text="Ama waits at the gate.\n\nShe counts the lanterns.",
            image_prompt="Ama at a stone arch at dusk, lanterns lit.",
        ),
        SceneDraft(title="The Tide", text="The sea comes in.", image_prompt="Waves against a sea wall."),
    ]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # bold headings, no picture lines, a goodbye at the end
        (
            "**Scene 1 - The Gate**\nAma waits.\n\n**Scene 2 - The Tide**\nThe sea comes in.\n\nI hope you enjoy it!",
            [("The Gate", "Ama waits.", ""), ("The Tide", "The sea comes in.", "")],
        ),
        # numbering that starts again at 1, "###", the picture under other names
        (
            "### Scene 1: The Gate\nAma waits.\n**Image:** An arch.\n### Scene 1: The Tide\nThe sea.\n"
            "Image prompt: Waves.",
            [("The Gate", "Ama waits.", "An arch."), ("The Tide", "The sea.", "Waves.")],
        ),
        # a heading with only a number, the title on a line of its own, a label on the text
        (
            "Scene 3:\nTitle: The Lamp\nText: The lamp is lit.\nPicture: A lamp.",
            [("The Lamp", "The lamp is lit.", "A lamp.")],
        ),
        # numbered headings, rules and fences around, chatter between a picture line and the next scene
        (
            "```\n1. The Gate\nAma waits.\nPicture: An arch.\nThat was the first one!\n---\n2) The Tide\nThe sea.\n```",
            [("The Gate", "Ama waits.", "An arch."), ("The Tide", "The sea.", "")],
        ),
        # a heading with nothing under it (the story's title, say) is no scene
        ("## Scene 1: Salt Gate\n## Scene 2: The Gate\nAma waits.", [("The Gate", "Ama waits.", "")]),
    ],
)
def test_broken_sections_are_read_as_far_as_they_go(answer: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(s.title, s.text, s.image_prompt) for s in parse_sections(answer)] == expected


def test_a_line_of_prose_that_names_a_scene_is_no_heading() -> None:
    answer = "## Scene 1: The Gate\nScene 2 of her life began that night, she thought.\nPicture: An arch."
    assert [s.text for s in parse_sections(answer)] == ["Scene 2 of her life began that night, she thought."]


@given(scenes(), st.integers(min_value=1, max_value=40))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_sections_stream_in_any_chunks_as_they_read_whole(found: list[dict[str, str]], size: int) -> None:
    # Lines that open like a chat model's asides ("Sure.", "Enjoy…") are dropped as chatter, by design.
    assume(all(s["text"].split()[0].lower().strip(".") not in CHATTY for s in found))
    answer = "\n\n".join(
        f"## Scene {n}: {s['title']}\n{s['text']}\nPicture: {s['image_prompt']}" for n, s in enumerate(found, 1)
    )
    scanner = SectionScanner()
    streamed = [
        scene for start in range(0, len(answer), size) for scene in scanner.feed(answer[start : start + size]).scenes
    ]
    streamed += scanner.finish().scenes
    assert (
        streamed
        == parse_sections(answer)
        == [SceneDraft(title=s["title"], text=s["text"], image_prompt=s["image_prompt"]) for s in found]
    )


CHATTY = {"sure", "certainly", "enjoy", "i", "hope", "let", "feel", "this", "that", "here", "of"}


# What is not a scene -----------------------------------------------------------------------------------------------

REQUEST = TextRequest(
    title="Salt Gate",
    prompt="Ama waits at the salt gate.",
    scene_count=3,
    start=1,
    earlier=(SceneDraft(title="The Gate", text=" ".join(["word"] * 30)),),
)
LONG = " ".join(f"word{n}" for n in range(40))


@pytest.mark.parametrize(
    ("title", "text", "kind"),
    [
        ("The Tide", "…", "placeholder"),
        ("The Tide", "...", "placeholder"),
        ("The Tide", "TODO", "placeholder"),
        ("The Tide", "lorem ipsum dolor sit amet " * 10, "placeholder"),
        ("The Tide", "Ama waits at the salt gate.", "echo"),
        ("The Tide", "The Tide", "echo"),
        ("The Gate", LONG, "copy"),
        ("Another", " ".join(["word"] * 30), "copy"),
        ("The Tide", "She waits by the sea.", "short"),
        ("The Tide", LONG, None),
        ("Scene 1", LONG, None),  # a number is no title of its own: "Scene 1" twice is no copy
    ],
)
def test_what_is_no_scene(title: str, text: str, kind: str | None) -> None:
    found = rejection(SceneDraft(title=title, text=text), REQUEST, [SceneDraft(title="Scene 1", text="x " * 30)])
    assert (found.kind if found else None) == kind
