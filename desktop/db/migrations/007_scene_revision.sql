-- A scene's revision: a counter the database moves on each change of its title or text, whoever makes it.
-- An edit carries the revision it was based on and is stored only if that is still the scene's revision, so an edit
-- made from an older version (another device saved or regenerated the scene meanwhile) is never silently written
-- over the newer one. A counter, not a timestamp: devices' clocks differ.
-- Only the title and text count: an image painted or uploaded while the writer edits is not a conflicting change.
ALTER TABLE scenes ADD COLUMN revision integer NOT NULL DEFAULT 0;

CREATE FUNCTION storyforge_next_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END $$;

CREATE TRIGGER scenes_next_revision BEFORE UPDATE ON scenes
    FOR EACH ROW WHEN ((OLD.title, OLD.text) IS DISTINCT FROM (NEW.title, NEW.text))
    EXECUTE FUNCTION storyforge_next_revision();
