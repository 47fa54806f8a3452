-- Links (issue 12, item 5): an upload is "uploaded" only with a working link.
-- stored_at: the object is in storage, so an attempt after a failed link only makes the link (no bytes again).
-- url_expires_at: when a signed URL stops working; NULL for links that never expire (public, file://).
ALTER TABLE uploads
    ADD COLUMN stored_at timestamptz,
    ADD COLUMN url_expires_at timestamptz;

UPDATE uploads SET stored_at = updated_at WHERE status = 'uploaded';
-- A signed URL made before this migration has an unknown expiry: count it as due, so it is renewed when next shown.
UPDATE uploads SET url_expires_at = updated_at WHERE status = 'uploaded' AND url LIKE '%/object/sign/%';
