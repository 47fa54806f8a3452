-- The outbox: a row exists only once its image is in the local cache, and stays until storage confirms it.
CREATE TABLE uploads (
    id               uuid PRIMARY KEY,
    story_id         uuid NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    scene_id         uuid NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
    scene_index      integer NOT NULL,
    local_path       text NOT NULL,
    object_path      text NOT NULL,
    content_type     text NOT NULL,
    backend          text NOT NULL,
    status           text NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'uploading', 'uploaded', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    error_kind       text,
    error_message    text NOT NULL DEFAULT '',
    next_attempt_at  timestamptz,
    url              text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (backend, object_path)
);
CREATE INDEX uploads_by_status ON uploads (status, next_attempt_at);
CREATE INDEX uploads_by_story ON uploads (story_id, scene_index);
