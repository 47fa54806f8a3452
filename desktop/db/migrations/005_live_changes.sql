-- Several Storyforge processes share one database (a window, CLI commands, later other devices).
--
-- 1. Every change to a story, scene or upload is announced on the channel 'storyforge_changes', so each open
--    window shows what another process did within moments, without polling. The payload names the row, its story
--    and the process that made the change (its application_name), so a process can skip its own announcements.
-- 2. Work in progress belongs to a process: the story it is writing (`stories.writer`) and the uploads it is
--    sending (`uploads.claimed_by`), stamped with its application_name. A process that starts only takes back work
--    whose owner no longer has a connection to the database (it died), never the work of one that is alive.

CREATE FUNCTION storyforge_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := jsonb_build_object('id', OLD.id, 'story_id', to_jsonb(OLD) -> 'story_id');
    ELSE
        changed := jsonb_build_object('id', NEW.id, 'story_id', to_jsonb(NEW) -> 'story_id');
    END IF;
    PERFORM pg_notify('storyforge_changes', json_build_object(
        'table', TG_TABLE_NAME,
        'op', lower(TG_OP),
        'id', changed ->> 'id',
        'story_id', coalesce(changed ->> 'story_id', changed ->> 'id'),
        'origin', current_setting('application_name')
    )::text);
    RETURN NULL;
END $$;

CREATE TRIGGER stories_announce AFTER INSERT OR DELETE ON stories
    FOR EACH ROW EXECUTE FUNCTION storyforge_announce_change();
CREATE TRIGGER stories_announce_update AFTER UPDATE ON stories
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION storyforge_announce_change();
CREATE TRIGGER scenes_announce AFTER INSERT OR DELETE ON scenes
    FOR EACH ROW EXECUTE FUNCTION storyforge_announce_change();
CREATE TRIGGER scenes_announce_update AFTER UPDATE ON scenes
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION storyforge_announce_change();
CREATE TRIGGER uploads_announce AFTER INSERT OR DELETE ON uploads
    FOR EACH ROW EXECUTE FUNCTION storyforge_announce_change();
CREATE TRIGGER uploads_announce_update AFTER UPDATE ON uploads
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION storyforge_announce_change();

-- Whether the process named `owner` (an application_name) still has a connection: work it holds is not stale.
CREATE FUNCTION storyforge_owner_alive(owner text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT owner <> '' AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = owner)
$$;

ALTER TABLE stories ADD COLUMN writer text NOT NULL DEFAULT '';
ALTER TABLE uploads ADD COLUMN claimed_by text NOT NULL DEFAULT '';

-- Stamped here rather than by each statement that starts the work, so no code path can forget it.
CREATE FUNCTION storyforge_stamp_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'stories' AND NEW.status = 'generating' THEN
        NEW.writer := current_setting('application_name');
    ELSIF TG_TABLE_NAME = 'uploads' AND NEW.status = 'uploading' THEN
        NEW.claimed_by := current_setting('application_name');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER stories_stamp_writer BEFORE INSERT OR UPDATE OF status ON stories
    FOR EACH ROW EXECUTE FUNCTION storyforge_stamp_owner();
CREATE TRIGGER uploads_stamp_claim BEFORE INSERT OR UPDATE OF status ON uploads
    FOR EACH ROW EXECUTE FUNCTION storyforge_stamp_owner();
