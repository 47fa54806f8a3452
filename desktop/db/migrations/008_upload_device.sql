-- An upload is sent from the computer (and data folder) whose image cache holds its file: another computer sharing
-- the database cannot read that file, so it must never take the row. Rows from before this migration have no device
-- and stay anyone's to send, as before.
ALTER TABLE uploads ADD COLUMN device text NOT NULL DEFAULT '';
DROP INDEX IF EXISTS uploads_by_status;
CREATE INDEX uploads_by_status ON uploads (status, backend, device, next_attempt_at);
