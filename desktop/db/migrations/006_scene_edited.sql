-- When the writer last changed a scene's text by hand; NULL when the text is as the generator wrote it.
-- Regenerating the text would replace the writer's words, so the window asks first while this is set.
ALTER TABLE scenes ADD COLUMN edited_at timestamptz;
