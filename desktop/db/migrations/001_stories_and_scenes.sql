CREATE TABLE stories (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL,
    title         text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    prompt        text NOT NULL CHECK (char_length(prompt) BETWEEN 1 AND 8000),
    scene_count   integer NOT NULL CHECK (scene_count BETWEEN 1 AND 50),
    style         text NOT NULL DEFAULT '' CHECK (char_length(style) <= 2000),
    characters    text NOT NULL DEFAULT '' CHECK (char_length(characters) <= 2000),
    status        text NOT NULL CHECK (status IN
                      ('generating', 'complete', 'partial', 'failed', 'cancelled', 'interrupted')),
    text_provider  text NOT NULL DEFAULT '',
    image_provider text NOT NULL DEFAULT '',
    error         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- 'simple' keeps names and invented words intact; prefix queries match as the writer types.
    search        tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || prompt)) STORED
);
CREATE INDEX stories_newest ON stories (created_at DESC, id DESC);
CREATE INDEX stories_search ON stories USING gin (search);
CREATE INDEX stories_status ON stories (status);

CREATE TABLE scenes (
    id            uuid PRIMARY KEY,
    story_id      uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    index         integer NOT NULL CHECK (index BETWEEN 0 AND 49),
    title         text NOT NULL,
    text          text NOT NULL,
    image_prompt  text NOT NULL DEFAULT '',
    image_status  text NOT NULL DEFAULT 'pending'
                      CHECK (image_status IN ('pending', 'painting', 'painted', 'failed')),
    image_path    text NOT NULL DEFAULT '',
    image_error   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (story_id, index)
);
