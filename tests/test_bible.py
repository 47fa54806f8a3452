"""The story bible as scripts and requests meet it: the file contract (unknown keys kept, one clear line for a bad
file), the budget a text request spends on it, the offline draft from a prompt, versions of each change, and the
migration of the two free-text fields stories had before."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from desktop.bible import Bible, BibleError, Character, Place, load_bible_file
from desktop.db.migrate import available_migrations
from desktop.generation.base import SceneDraft, TextRequest
from desktop.generation.bible_draft import draft_bible
from desktop.generation.prompts import bible_lines, chat_messages
from desktop.models import StoryRequest
from tests.support.generation_fixtures import MakeService

from .conftest import Run, admin, with_database

TOML = """
style = "ink and watercolour, night blues"
notes = "The city drowned a hundred years ago."
mood = "kept although Storyforge does not know it"

[[characters]]
name = "Ines"
role = "orchard keeper"
description = "Tends the glass trees."
look = "grey coat, copper hair in a braid"
pet = "a heron"

[[places]]
name = "The drowned city"
description = "Roofs under the water."
look = "green water, bell towers breaking the surface"
"""


def test_a_bible_file_keeps_what_storyforge_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "bible.toml"
    path.write_text(TOML, encoding="utf-8")
    bible = load_bible_file(path)
    assert bible.characters[0].name == "Ines" and bible.places[0].look.startswith("green water")
    data = bible.as_json()
    assert data["mood"] == "kept although Storyforge does not know it" and data["characters"][0]["pet"] == "a heron"
    as_json = tmp_path / "bible.json"
    as_json.write_text(json.dumps(data), encoding="utf-8")
    assert load_bible_file(as_json) == bible


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("broken.toml", 'style = "unclosed\n', "not valid TOML"),
        ("broken.json", "{", "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        ("nameless.toml", "[[characters]]\nrole = 'keeper'\n", "characters.0.name: Field required"),
        ("typed.json", '{"style": 3}', "style: Input should be a valid string"),
        ("list.json", "[1, 2]", "expected a table of style, notes, characters and places, not list"),
    ],
)
def test_a_malformed_bible_file_gets_one_line_naming_the_problem(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BibleError) as raised:
        load_bible_file(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and said in message and "\n" not in message


def test_a_long_bible_is_cut_to_the_budget_keeping_the_scenes_own_characters_first() -> None:
    crowd = [Character(name=f"Walker{n}", description="x" * 300) for n in range(30)]
    bible = Bible(style="woodcut", characters=[*crowd, Character(name="Ines", look="grey coat")])
    request = TextRequest(
        title="The Glass Orchard",
        prompt="An orchard of glass trees.",
        scene_count=3,
        start=1,
        earlier=(SceneDraft(title="Dusk", text="Ines counts the trees.", image_prompt=""),),
        bible=bible,
    )
    lines = bible_lines(request)
    assert len(lines) <= 3_200 and lines.startswith("Style: woodcut")
    assert lines.splitlines()[1] == "Ines: Looks: grey coat"  # named in the scene before: first after the style
    assert "Walker0" in lines and "Walker29" not in lines  # the rest as room allows, whole entries only
    assert "The story's bible (keep to it):" in chat_messages(request)[1]["content"]


def test_the_offline_draft_takes_people_places_and_the_thing_from_the_prompt() -> None:
    bible = draft_bible(
        "The Glass Orchard",
        "Ines tends an orchard of glass trees above a drowned city. Teo, a ferryman, knows where the brass key is.",
        "ink and watercolour",
    )
    assert [c.name for c in bible.characters] == ["Ines", "Teo"] and bible.characters[1].role == "ferryman"
    assert [p.name for p in bible.places] == ["The orchard", "The drowned city"]
    assert bible.style == "ink and watercolour" and bible.notes == "What matters: the brass key."


def test_a_story_starts_with_its_bible_drafted_or_given_and_each_edit_is_a_version(
    run: Run, make_story_service: MakeService, pool: asyncpg.Pool
) -> None:
    service = make_story_service()
    drafted = run(service.generate(StoryRequest(title="Salt", prompt="Amira crosses the salt flats.", scene_count=1)))
    assert drafted.bible.characters[0].name == "Amira"
    given = Bible(characters=[Character(name="Noor", look="blue scarf")], places=[Place(name="Qarra")])
    story = run(service.generate(StoryRequest(title="Qarra", prompt="A walk to Qarra.", scene_count=1, bible=given)))
    assert story.bible == given
    edited = run(service.edit_bible(story.id, given.model_copy(update={"notes": "Noor never lies."})))
    assert run(service.story(story.id)).bible.notes == "Noor never lies." == edited.bible.notes
    rows = run(pool.fetch("SELECT number, made_by FROM bible_versions WHERE story_id = $1 ORDER BY number", story.id))
    assert [(row["number"], row["made_by"]) for row in rows] == [(1, "given"), (2, "edited")]


def test_stories_from_before_get_their_style_and_characters_as_their_bible(postgres_server: str, run: Run) -> None:
    name = "migrate_bible"
    run(admin(postgres_server, f"DROP DATABASE IF EXISTS {name}"))
    run(admin(postgres_server, f"CREATE DATABASE {name}"))

    async def migrate_around_an_old_story() -> dict[str, object]:
        conn = await asyncpg.connect(with_database(postgres_server, name))
        try:
            for migration in available_migrations():
                if migration.version == 13:
                    await conn.execute(
                        """INSERT INTO stories (id, user_id, title, prompt, scene_count, style, characters, status)
                           VALUES (gen_random_uuid(), gen_random_uuid(), 'Old', 'An old story.', 1, 'woodcut',
                                   'Maren, the keeper; Ole, her brother', 'complete')"""
                    )
                await conn.execute(migration.sql)
            bible = await conn.fetchval("SELECT bible FROM stories")
            made_by = await conn.fetchval("SELECT made_by FROM bible_versions")
            return {"bible": json.loads(bible), "made_by": made_by}
        finally:
            await conn.close()

    migrated = run(migrate_around_an_old_story())
    bible = Bible.model_validate(migrated["bible"])
    assert bible.style == "woodcut" and migrated["made_by"] == "migrated"
    assert [(c.name, c.description) for c in bible.characters] == [("Maren", "the keeper"), ("Ole", "her brother")]
    run(admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_a_capitalised_word_only_ever_after_the_is_no_character() -> None:
    bible = draft_bible(
        "The Lighthouse at the End of the Map",
        "Maren, the last keeper of the Skerry light, finds a map. With her brother Ole she follows it north.",
    )
    assert [character.name for character in bible.characters] == ["Maren", "Ole"]


def test_a_place_named_with_an_article_is_not_found_in_every_the_and_a_titled_character_by_their_name() -> None:
    market = Place(name="The Drowned Market")
    assert not market.named_in("The bell rang over the water.")
    assert market.named_in("They met in the drowned market at dawn.")
    captain = Character(name="Captain Ilse Varga")
    assert captain.named_in("Ilse climbed the mast.")
    assert not captain.named_in("The captain of the other ship waved.")
