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

-- A message's reactions as pages show them, kept up to date by the trigger below so that reading a page
-- of messages (and delivering a change) needs no join or aggregate: [[emoji, count, [membership ids, the
-- first 100], [their names, the first 10]], ...] in the order each emoji was first used; NULL for none.
-- The trigger's query sees every committed reaction (a fresh snapshot), so two people reacting at once
-- both count. Names are as they were at the last change of the message's reactions.
ALTER TABLE messages ADD COLUMN reactions jsonb;

CREATE FUNCTION eelchat_refresh_reactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages m SET reactions = (
        SELECT jsonb_agg(jsonb_build_array(g.emoji, g.n, g.members, g.names) ORDER BY g.first)
        FROM (SELECT r.emoji, count(*) AS n, min(r.created_at) AS first,
                     (array_agg(r.membership_id ORDER BY r.created_at))[1:100] AS members,
                     (array_agg(coalesce(u.display_name, 'User ' || left(r.membership_id::text, 4))
                                ORDER BY r.created_at))[1:10] AS names
              FROM reactions r JOIN memberships rm ON rm.id = r.membership_id JOIN users u ON u.id = rm.user_id
              WHERE r.message_id = m.id GROUP BY r.emoji) g)
    WHERE m.id IN (SELECT DISTINCT message_id FROM changed);
    RETURN NULL;
END
$$;
CREATE TRIGGER reactions_refresh_insert AFTER INSERT ON reactions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION eelchat_refresh_reactions();
CREATE TRIGGER reactions_refresh_delete AFTER DELETE ON reactions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION eelchat_refresh_reactions();

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
