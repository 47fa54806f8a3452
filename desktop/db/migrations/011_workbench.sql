-- The writer's workbench (issue 13): versions of every scene, undo that survives a restart, a trash, and scenes
-- that can be inserted, moved and deleted.

-- 1. Versions. Every change to a scene's words or picture (written, edited, rewritten, painted, restored) is a row
--    here, a whole copy of what the scene said and showed; the scene points at the one it shows now (`version_id`).
--    Undo and redo move that pointer; a restore from the History view is a new version. The scene's own columns stay
--    the current version's copy, so reading, searching and exporting a story never join versions.
--    `scenes.version_id` has no foreign key: a scene and its first version are written in one transaction, in
--    either order, and a version only goes with its scene (ON DELETE CASCADE below).
CREATE TABLE scene_versions (
    id              uuid PRIMARY KEY,
    scene_id        uuid NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    story_id        uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    number          integer NOT NULL CHECK (number >= 1),
    -- What made it, for the History view: 'written', 'edited', 'painted', 'restored', 'blank'; `maker` names the
    -- provider ("OpenAI gpt-4o-mini") or, for a restore, the version restored ("3").
    made_by         text NOT NULL CHECK (made_by IN ('written', 'edited', 'painted', 'restored', 'blank')),
    maker           text NOT NULL DEFAULT '',
    title           text NOT NULL,
    text            text NOT NULL,
    image_prompt    text NOT NULL,
    image_path      text NOT NULL,
    painted_title   text,
    painted_prompt  text,
    edited_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (scene_id, number)
);
ALTER TABLE scenes ADD COLUMN version_id uuid;

-- Every scene written before this migration gets its first version: what it says and shows now.
WITH firsts AS (
    SELECT c.id AS scene_id, gen_random_uuid() AS version_id FROM scenes c
), versions AS (
    INSERT INTO scene_versions (id, scene_id, story_id, number, made_by, maker, title, text, image_prompt, image_path,
                                painted_title, painted_prompt, edited_at, created_at)
    SELECT f.version_id, c.id, c.story_id, 1,
           CASE WHEN c.edited_at IS NULL THEN 'written' ELSE 'edited' END,
           CASE WHEN c.edited_at IS NULL THEN s.text_provider ELSE '' END,
           c.title, c.text, c.image_prompt, c.image_path, c.painted_title, c.painted_prompt, c.edited_at,
           c.updated_at
    FROM firsts f JOIN scenes c ON c.id = f.scene_id JOIN stories s ON s.id = c.story_id
    RETURNING id, scene_id
)
UPDATE scenes SET version_id = versions.id FROM versions WHERE scenes.id = versions.scene_id;

-- An image an earlier version showed stays in storage until its scene is purged from the trash: a repainted
-- scene's upload row moves on to the new image, and the object it had sent is remembered here.
CREATE TABLE kept_objects (
    scene_id     uuid NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    story_id     uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    backend      text NOT NULL,
    object_path  text NOT NULL,
    PRIMARY KEY (backend, object_path)
);
CREATE INDEX kept_objects_by_scene ON kept_objects (scene_id);

-- 2. Undo and redo: the writer's changes to a story, newest last. An entry says what to put back (`before`) and
--    what to put again (`after`), as JSON whose shape its `kind` names. Undone entries are the redo stack; a new
--    change drops them. In the database, so Ctrl+Z still works after a restart.
CREATE TABLE story_changes (
    number      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    story_id    uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('scene', 'delete_scene', 'insert_scene', 'move', 'rename')),
    scene_id    uuid,
    before      jsonb NOT NULL,
    after       jsonb NOT NULL,
    undone      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX story_changes_by_story ON story_changes (story_id, number);

-- 3. The trash. A deleted story or scene keeps its rows, marked with when it was deleted; it leaves the library, the
--    search and its story's order, and comes back where it was on Restore. A deleted scene keeps its former place
--    in `index`, so only live scenes are unique per place.
ALTER TABLE stories ADD COLUMN deleted_at timestamptz;
ALTER TABLE scenes ADD COLUMN deleted_at timestamptz;
ALTER TABLE scenes DROP CONSTRAINT scenes_story_id_index_key;
CREATE UNIQUE INDEX scenes_in_order ON scenes (story_id, index) WHERE deleted_at IS NULL;
CREATE INDEX stories_in_trash ON stories (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX scenes_in_trash ON scenes (deleted_at) WHERE deleted_at IS NOT NULL;
-- Places 0–49 are a story's scenes; a renumbering (a move, an insert, a delete) first lifts the story's scenes to
-- 50–99 and then sets each one's place, in one transaction, so no two live scenes ever share a place on the way.
ALTER TABLE scenes DROP CONSTRAINT scenes_index_check;
ALTER TABLE scenes ADD CONSTRAINT scenes_index_check CHECK (index BETWEEN 0 AND 99);

-- Objects to remove from storage: the images of stories and scenes purged from the trash. The outbox for deletions,
-- worked on like uploads (only by the storage it names): an unreachable storage delays a removal, it never forgets it.
CREATE TABLE storage_removals (
    backend          text NOT NULL,
    object_path      text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    error_message    text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (backend, object_path)
);
