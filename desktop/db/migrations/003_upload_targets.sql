-- A regenerated image replaces its scene's object. The object paths a row's image replaced are removed from storage
-- by the upload job once the new object is stored, retried like the upload itself: an unreachable storage delays a
-- removal, it never forgets it.
ALTER TABLE uploads ADD COLUMN replaced_paths text[] NOT NULL DEFAULT '{}';

-- Regenerating used to add a second row for the scene and leave the old object in storage. Per scene and storage the
-- newest row stays and takes over the older rows' objects to remove (queued again, so its job removes them); the
-- older rows go.
WITH ranked AS (
    SELECT id, scene_id, backend, object_path, status, attempts,
           row_number() OVER (PARTITION BY scene_id, backend ORDER BY created_at DESC, id DESC) AS newest
    FROM uploads
), stale AS (
    SELECT scene_id, backend,
           coalesce(array_agg(object_path) FILTER (WHERE status IN ('uploaded', 'uploading') OR attempts > 0),
                    '{}') AS paths
    FROM ranked WHERE newest > 1 GROUP BY scene_id, backend
), kept AS (
    UPDATE uploads u
    SET replaced_paths = array_remove(stale.paths, u.object_path),
        status = CASE WHEN cardinality(array_remove(stale.paths, u.object_path)) > 0 AND u.status = 'uploaded'
                      THEN 'queued' ELSE u.status END,
        updated_at = greatest(now(), u.updated_at)
    FROM ranked r JOIN stale ON stale.scene_id = r.scene_id AND stale.backend = r.backend
    WHERE u.id = r.id AND r.newest = 1
)
DELETE FROM uploads WHERE id IN (SELECT id FROM ranked WHERE newest > 1);

-- One row per scene's current image on each storage.
CREATE UNIQUE INDEX uploads_one_per_scene ON uploads (scene_id, backend);
