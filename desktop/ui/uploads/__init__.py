"""The Uploads panel: every image on its way to storage, with Retry and Send to."""
