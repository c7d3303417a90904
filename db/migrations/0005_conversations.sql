-- Conversations: private channels and direct messages, topics, edits, deletions, reactions, replies,
-- member removal, and one ordered history of changes per channel.
--
-- A channel's history is one gap-free sequence (channels.last_seq) shared by two tables: a posted message
-- takes the next number itself (messages.seq, as before), every other change (an edit, a deletion, a
-- reaction, a rename) takes it as a row of channel_events. "Everything after N" is the union of both, so
-- a page that reconnects replays every kind of change the same way, in order.

-- public: every member of the community; private: its channel_members; direct: a conversation of the
-- channel_members, shown by their names (direct_key, the sorted membership ids, makes it one per set).
ALTER TABLE channels ADD COLUMN kind text NOT NULL DEFAULT 'public' CHECK (kind IN ('public', 'private', 'direct'));
ALTER TABLE channels ADD COLUMN topic text NOT NULL DEFAULT '' CHECK (char_length(topic) <= 250);
ALTER TABLE channels ADD COLUMN direct_key text;
CREATE UNIQUE INDEX channels_direct_key_idx ON channels (community_id, direct_key) WHERE direct_key IS NOT NULL;

CREATE TABLE channel_members (
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    membership_id uuid NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, membership_id)
);
CREATE INDEX channel_members_membership_idx ON channel_members (membership_id);

-- html: the text rendered from markdown when it was posted or edited (NULL: shown as plain text, as
-- system messages and messages from before this migration are). A deleted message keeps its row and
-- number, without its text.
ALTER TABLE messages ADD COLUMN html text;
ALTER TABLE messages ADD COLUMN edited_at timestamptz;
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;
ALTER TABLE messages ADD COLUMN parent_id uuid REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE messages ADD COLUMN reply_count integer NOT NULL DEFAULT 0;
CREATE INDEX messages_parent_idx ON messages (parent_id, seq) WHERE parent_id IS NOT NULL;

CREATE TABLE reactions (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    membership_id uuid NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    emoji text NOT NULL CHECK (octet_length(emoji) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, emoji, membership_id)
);

CREATE TABLE channel_events (
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('edited', 'deleted', 'reacted', 'renamed')),
    message_id uuid REFERENCES messages (id) ON DELETE CASCADE,
    subject_id uuid, -- renamed: the channel, or the community, whose name or topic changed
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, seq)
);

-- The same announcement as a posted message: listeners read the channel forward from what they have.
CREATE FUNCTION eelchat_notify_channel_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'm:' || channel_id || ':' || max(seq))
    FROM new_events GROUP BY channel_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER channel_events_notify AFTER INSERT ON channel_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_channel_events();

-- Someone taken out of a private channel or direct conversation: their sockets of it close.
--   x:<channel id>:<membership id>
CREATE FUNCTION eelchat_notify_channel_members_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'x:' || channel_id || ':' || membership_id) FROM gone_members;
    RETURN NULL;
END
$$;
CREATE TRIGGER channel_members_notify_delete AFTER DELETE ON channel_members
    REFERENCING OLD TABLE AS gone_members FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_channel_members_ended();

-- People an admin removed from a community: they cannot join it again by its address.
CREATE TABLE community_bans (
    community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    banned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, user_id)
);
