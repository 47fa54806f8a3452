-- The library's search reaches into scenes: a story is found by a word in any scene's title or text, and the
-- library can say which scene matched.
--
-- 'simple', as for stories (001): no stemming and no stop words, so writers' names and invented words ("Ysolde",
-- "skyreach") are kept as typed, and the app's prefix query (desktop.db.repositories.search) matches a word while
-- it is still being typed. 'english' would stem "Ysolde" to "ysold" and drop "the"/"was", which a writer searching
-- a line they remember would not expect.
-- The title weighs more than the text (A over B) so a later ranking by relevance needs no new index; the library
-- itself lists newest first.
ALTER TABLE scenes ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', text), 'B')
) STORED;

CREATE INDEX scenes_search ON scenes USING gin (search);
