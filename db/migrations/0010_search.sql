-- Search: full-text search of messages, newest first, within one community.
--
-- search: the message's words as PostgreSQL's 'simple' configuration reads them (lower-cased, no
-- stemming, no stop words), so words of any language are found as they were typed. Generated from the
-- text, it follows edits by itself; a deleted message has no text and so no words.
--
-- community_id: the message's community, copied from its channel when the message is inserted (a
-- channel never changes community). It lets a search walk one community's messages newest first
-- (messages_community_time_idx) instead of everyone's: a common word is found among the newest
-- messages without reading the others, a rare one through the GIN index (db/search_store.cpp).
ALTER TABLE messages ADD COLUMN community_id uuid;
UPDATE messages m SET community_id = c.community_id FROM channels c WHERE c.id = m.channel_id;
ALTER TABLE messages ALTER COLUMN community_id SET NOT NULL;
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;

CREATE FUNCTION eelchat_message_community() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.community_id IS NULL THEN
        SELECT community_id INTO NEW.community_id FROM channels WHERE id = NEW.channel_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER messages_community BEFORE INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION eelchat_message_community();

CREATE INDEX messages_search_idx ON messages USING gin (search);
CREATE INDEX messages_community_time_idx ON messages (community_id, created_at, id);
