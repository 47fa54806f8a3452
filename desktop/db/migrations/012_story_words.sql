-- One search vector per story: every word of its title, its prompt and its live scenes' titles and texts.
--
-- The library's search used to join two GIN scans (stories.search, scenes.search) and group the matching scene rows
-- by story. A word found in nearly every scene ("night") then hashed some 120,000 rows for a page of 200 stories
-- (~170 ms at 10,000 stories of 12 scenes). With `words` a search is one GIN scan of the stories themselves, and the
-- scene that matched is looked up only for the rows of the page (desktop/db/repositories/stories.py).
--
-- 'simple' as in 001 and 010: names and invented words kept as typed, prefix queries match while the writer types.
-- Stripped (no positions, no weights): the library only asks "are all these words there", never for a phrase or a
-- rank, and a smaller vector keeps the story's row, rewritten on every scene write, small.
-- Scenes in the trash (deleted_at, 011) do not count; a story in the trash keeps its words (the query filters it
-- out), so it is found again the moment it is restored.

-- The scenes' part is the union of their own vectors (scenes.search, 010), not their text parsed again: a scene's
-- words are defined once, and merging is about half the work of parsing (4 ms against 9 for 50 scenes of 300 words).
CREATE FUNCTION storyforge_story_words(story uuid, title text, prompt text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT strip(to_tsvector('simple', title || ' ' || prompt)) || coalesce(
        (SELECT array_to_tsvector(array_agg(DISTINCT w.lexeme))
         FROM scenes c, unnest(c.search) AS w WHERE c.story_id = story AND c.deleted_at IS NULL), '')
$$;

-- Recompute one story's words after a change to its scenes. The story's row is locked by one statement and its words
-- computed by the next: each statement of this (volatile) function reads a fresh snapshot, so a scene another
-- transaction wrote and committed while we waited for the lock is counted. One UPDATE computing and writing at once
-- would read the scenes as they were before the wait, and lose that transaction's words.
CREATE FUNCTION storyforge_refresh_story_words(story uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fresh tsvector;
BEGIN
    PERFORM 1 FROM stories WHERE id = story FOR NO KEY UPDATE;
    SELECT storyforge_story_words(s.id, s.title, s.prompt) INTO fresh FROM stories s WHERE s.id = story;
    -- An edit that brings no new word and drops none (a sentence reordered, a scene deleted whose words recur in
    -- others) writes no new row version, and no GIN entries.
    UPDATE stories SET words = fresh WHERE id = story AND words IS DISTINCT FROM fresh;
END $$;

CREATE FUNCTION storyforge_scene_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM storyforge_refresh_story_words(OLD.story_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.story_id IS DISTINCT FROM OLD.story_id) THEN
        PERFORM storyforge_refresh_story_words(NEW.story_id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION storyforge_story_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.words := storyforge_story_words(NEW.id, NEW.title, NEW.prompt);
    RETURN NEW;
END $$;

-- A scene's words change its story's vector only when they are live: a scene written, edited, moved to or back from
-- the trash, moved to another story, or removed while live. Renumbering (`index`), painting and uploads fire nothing.
CREATE TRIGGER scenes_words_insert AFTER INSERT ON scenes
    FOR EACH ROW WHEN (NEW.deleted_at IS NULL) EXECUTE FUNCTION storyforge_scene_words_changed();
CREATE TRIGGER scenes_words_update AFTER UPDATE OF title, text, deleted_at, story_id ON scenes
    FOR EACH ROW WHEN ((OLD.title, OLD.text, OLD.deleted_at, OLD.story_id)
                       IS DISTINCT FROM (NEW.title, NEW.text, NEW.deleted_at, NEW.story_id))
    EXECUTE FUNCTION storyforge_scene_words_changed();
-- A scene removed from the trash (purged) was not counted: nothing to recompute.
CREATE TRIGGER scenes_words_delete AFTER DELETE ON scenes
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL) EXECUTE FUNCTION storyforge_scene_words_changed();

ALTER TABLE stories ADD COLUMN words tsvector NOT NULL DEFAULT '';

CREATE TRIGGER stories_words_insert BEFORE INSERT ON stories
    FOR EACH ROW EXECUTE FUNCTION storyforge_story_words_changed();
CREATE TRIGGER stories_words_update BEFORE UPDATE OF title, prompt ON stories
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.prompt IS DISTINCT FROM NEW.prompt)
    EXECUTE FUNCTION storyforge_story_words_changed();

-- The live-changes announcement (005) compared whole rows, so a scene write would now also announce its story as
-- changed, and every other window would reload that story's header for each scene saved. `words` only mirrors what
-- the scenes' own announcements already say, so it is left out of the comparison: a story is announced when
-- something the writer sees in it changed (title, status, scene count, trash, …), as before.
DROP TRIGGER stories_announce_update ON stories;
CREATE TRIGGER stories_announce_update AFTER UPDATE ON stories
    FOR EACH ROW WHEN ((to_jsonb(OLD) - 'words') IS DISTINCT FROM (to_jsonb(NEW) - 'words'))
    EXECUTE FUNCTION storyforge_announce_change();

-- The stories already written. The announcement above no longer sees this as a change.
UPDATE stories s SET words = storyforge_story_words(s.id, s.title, s.prompt);

CREATE INDEX stories_words ON stories USING gin (words);
