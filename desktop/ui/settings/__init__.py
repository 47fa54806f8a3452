"""The Settings dialog: providers, storage and database, each with its Test."""
