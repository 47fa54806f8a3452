-- What a scene's image was painted from: the scene's title and image prompt at the time. When either has changed
-- since (Regenerate text writes a new prompt; the title is the caption and part of the prompt), the image shows an
-- older version of the scene and the window offers to repaint it. NULL: no image painted yet.
-- Images painted before this migration are taken as painted from what the scene says now.
ALTER TABLE scenes ADD COLUMN painted_title text, ADD COLUMN painted_prompt text;

UPDATE scenes SET painted_title = title, painted_prompt = image_prompt WHERE image_path <> '';
