-- The story bible (issue 18): characters, places, visual style and notes, fed into every text and image request.
-- The story keeps its current bible (`stories.bible`, the contract's JSON shape, desktop/bible.py); every change is
-- a row of `bible_versions`, as a scene's are of `scene_versions` (011).
ALTER TABLE stories ADD COLUMN bible jsonb NOT NULL DEFAULT '{}';

CREATE TABLE bible_versions (
    id          uuid PRIMARY KEY,
    story_id    uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    number      integer NOT NULL CHECK (number >= 1),
    -- 'drafted' from the prompt at the story's start, 'edited' by the writer, 'given' by a script (--bible),
    -- 'migrated' from the two free-text fields stories had before.
    made_by     text NOT NULL CHECK (made_by IN ('drafted', 'edited', 'given', 'migrated')),
    bible       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (story_id, number)
);

-- Stories written before: their style and characters fields become the bible's style and characters, one character
-- per part of the field ("Maren, the keeper; Ole, her brother": Maren — the keeper; Ole — her brother).
UPDATE stories s SET bible = jsonb_build_object(
    'style', s.style,
    'notes', '',
    'characters', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'name', trim(split_part(part, ',', 1)),
                   'role', '',
                   'description', trim(substr(part, length(split_part(part, ',', 1)) + 2)),
                   'look', '') ORDER BY n)
        FROM regexp_split_to_table(s.characters, '[;\n]+') WITH ORDINALITY AS parts (part, n)
        WHERE trim(split_part(part, ',', 1)) <> ''), '[]'::jsonb),
    'places', '[]'::jsonb)
WHERE s.style <> '' OR s.characters <> '';

INSERT INTO bible_versions (id, story_id, number, made_by, bible, created_at)
SELECT gen_random_uuid(), id, 1, 'migrated', bible, updated_at FROM stories WHERE bible <> '{}';

-- "What was asked": the image prompt sent for a scene's picture, shown in the scene's details; kept with each
-- version like the picture itself.
ALTER TABLE scenes ADD COLUMN asked_image text NOT NULL DEFAULT '';
ALTER TABLE scene_versions ADD COLUMN asked_image text NOT NULL DEFAULT '';
