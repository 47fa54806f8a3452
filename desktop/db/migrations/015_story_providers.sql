-- Which providers and models wrote a story (issue 14): the provider settings it was started with, secrets never
-- among them (desktop/config.py provider_settings). Regenerate, continue and resume use the same, unless the writer
-- chooses the ones in Settings for it. '{}' for stories from before: they follow the settings, as they did.
ALTER TABLE stories ADD COLUMN made_with jsonb NOT NULL DEFAULT '{}';
