-- How each picture was made, candidates to choose from, and characters' portraits (issue 18).

-- 1. A record per image: the provider and model that painted it, the seed, the size, the prompt sent, the style and
--    the portraits sent as references (desktop/models.py ImageRecord). Kept with each version like the picture, so
--    "Repaint with the same seed" can ask for it again. '{}' for images painted before this migration.
ALTER TABLE scenes ADD COLUMN image_made jsonb NOT NULL DEFAULT '{}';
ALTER TABLE scene_versions ADD COLUMN image_made jsonb NOT NULL DEFAULT '{}';

-- 2. Candidates: "More images" paints versions the scene does not show ('candidate'). The one the writer picks is
--    shown as a new version ('picked'); the others stay in the scene's History, where any can still be restored.
ALTER TABLE scene_versions DROP CONSTRAINT scene_versions_made_by_check;
ALTER TABLE scene_versions ADD CONSTRAINT scene_versions_made_by_check
    CHECK (made_by IN ('written', 'edited', 'painted', 'restored', 'blank', 'candidate', 'picked'));

-- 3. A character's portrait (its file and record live in the bible's character entry) is a version of the bible.
ALTER TABLE bible_versions DROP CONSTRAINT bible_versions_made_by_check;
ALTER TABLE bible_versions ADD CONSTRAINT bible_versions_made_by_check
    CHECK (made_by IN ('drafted', 'edited', 'given', 'migrated', 'portrait'));
