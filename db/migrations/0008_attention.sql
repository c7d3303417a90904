-- Attention: what each member has read, who a message mentions, how each member wants to be told about a
-- channel, and who has eelchat open right now.

-- The newest event of a channel a member has seen (a message on screen in a visible tab). Written when the
-- browser says so, never per delivery. A member without a row has read nothing of the channel: only
-- messages posted since they joined count as unread, so a newcomer is not shown years of history as new.
CREATE TABLE channel_reads (
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    membership_id uuid NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    last_read_seq bigint NOT NULL CHECK (last_read_seq >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (membership_id, channel_id)
);

-- Who a message mentions: membership ids (a reference to the person, so a rename keeps it right), and
-- whether it mentions everyone in the channel (@channel). NULL / false for none.
ALTER TABLE messages ADD COLUMN mentions uuid[];
ALTER TABLE messages ADD COLUMN mention_channel boolean NOT NULL DEFAULT false;

-- Whether every member may use @channel; admins always may.
ALTER TABLE communities ADD COLUMN everyone_may_mention_channel boolean NOT NULL DEFAULT false;

-- How a member wants to be told about a channel: every message, mentions only, or nothing. No row: the
-- default, which is every message in a direct conversation and mentions elsewhere.
CREATE TABLE channel_notify_prefs (
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    membership_id uuid NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    level text NOT NULL CHECK (level IN ('all', 'mentions', 'none')),
    PRIMARY KEY (channel_id, membership_id)
);
CREATE INDEX channel_notify_prefs_all_idx ON channel_notify_prefs (channel_id) WHERE level = 'all';

-- Running eelchat processes, each with a random id per start; seen_at is refreshed every 20 seconds. A
-- process not seen for 60 seconds is gone (crashed): its presence rows no longer count.
CREATE UNLOGGED TABLE instances (
    id uuid PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now()
);

-- Per process and user: how many eelchat pages that user has open on that process, and how many of them
-- are visible (the tab in front). Written only when a count changes between zero and not zero, or a page
-- opens or closes; announced as p:<user id>.
CREATE UNLOGGED TABLE presence (
    instance_id uuid NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tabs integer NOT NULL CHECK (tabs >= 0),
    visible integer NOT NULL CHECK (visible >= 0),
    PRIMARY KEY (user_id, instance_id)
);

-- Someone added to a private channel or direct conversation: instances that keep who may read it
-- (for unread counts and typing) read it again.
--   a:<channel id>
CREATE FUNCTION eelchat_notify_channel_members_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'a:' || channel_id) FROM (SELECT DISTINCT channel_id FROM added) a;
    RETURN NULL;
END
$$;
CREATE TRIGGER channel_members_notify_insert AFTER INSERT ON channel_members
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_channel_members_added();
