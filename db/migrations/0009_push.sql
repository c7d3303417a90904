-- Notifications: who is to be told of a new message, the browsers that asked for Web Push, and the
-- installation's VAPID key pair.

-- The VAPID key pair (RFC 8292) of this installation: made by the first instance that starts, kept so
-- every instance signs with it and browsers' subscriptions stay valid across restarts. One row. Keys
-- are kept as the base64url text of their raw bytes (the 32-byte scalar, the 65-byte uncompressed point).
CREATE TABLE push_keys (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    private_key text NOT NULL CHECK (char_length(private_key) = 43),
    public_key text NOT NULL CHECK (char_length(public_key) = 87),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A browser that enabled notifications: its push service endpoint and the keys its messages are
-- encrypted to (RFC 8291), base64url as the browser gives them. An endpoint belongs to one user;
-- subscribing it again (another account in the same browser) moves it.
CREATE TABLE push_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint text NOT NULL UNIQUE CHECK (char_length(endpoint) BETWEEN 1 AND 2048),
    p256dh text NOT NULL CHECK (char_length(p256dh) = 87),
    auth text NOT NULL CHECK (char_length(auth) = 22),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_sent_at timestamptz
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

-- A message someone is to be told about: a mention of them, @channel, any message of a direct
-- conversation, or any message of a channel they set to "all"; never their own, never where they set
-- "nothing", never in a channel they cannot read. Written by the trigger below in the transaction of the
-- message, so nothing is missed and nothing is told twice: the instance that claims a row (claimed_until,
-- with SKIP LOCKED) is the only one sending it. Deleted once pushed and emailed (or found unneeded).
--   pending: the subscriptions still to send to, after a first try that some of them failed (NULL: all
--            of the user's, not tried yet)
CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    push_done boolean NOT NULL DEFAULT false,
    -- NOTIFY_EMAIL_AFTER_MIN: still to be emailed if unread by then (set done at once when it is off).
    email_done boolean NOT NULL DEFAULT false,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,
    pending uuid[],
    UNIQUE (message_id, user_id)
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE NOT push_done;
CREATE INDEX notifications_email_idx ON notifications (created_at) WHERE push_done AND NOT email_done;

-- The recipients of each inserted message. Only candidates are looked at (the people it mentions, the
-- members of a direct conversation, those who asked for every message of the channel, and everyone for
-- @channel), so an ordinary message in a large community costs a few index probes. Then:
--   n:<how many>  on eelchat_events, once per statement that queued any, wakes every instance's sender.
CREATE FUNCTION eelchat_queue_notifications() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    queued integer;
BEGIN
    -- Messages of a community being imported (eelchat import) are history: nobody is told of them.
    IF current_setting('eelchat.importing', true) = 'on' THEN
        RETURN NULL;
    END IF;
    WITH candidates AS (
        SELECT DISTINCT n.id AS message_id, n.channel_id, n.membership_id AS author, n.mentions,
               n.mention_channel, x.membership_id
        FROM new_messages n
        CROSS JOIN LATERAL (
            SELECT unnest(n.mentions) AS membership_id
            UNION ALL
            SELECT cm.membership_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
            WHERE cm.channel_id = n.channel_id AND c.kind = 'direct'
            UNION ALL
            SELECT p.membership_id FROM channel_notify_prefs p
            WHERE p.channel_id = n.channel_id AND p.level = 'all'
            UNION ALL
            SELECT m.id FROM channels c JOIN memberships m ON m.community_id = c.community_id
            WHERE n.mention_channel AND c.id = n.channel_id
        ) x
        WHERE NOT n.is_system AND n.deleted_at IS NULL
    ),
    recipients AS (
        SELECT c.message_id, m.user_id
        FROM candidates c
        JOIN channels ch ON ch.id = c.channel_id
        JOIN memberships m ON m.id = c.membership_id AND m.community_id = ch.community_id
        LEFT JOIN channel_notify_prefs p ON p.channel_id = c.channel_id AND p.membership_id = c.membership_id
        WHERE c.membership_id IS DISTINCT FROM c.author
          AND (ch.kind = 'public' OR EXISTS (SELECT 1 FROM channel_members cm
                                             WHERE cm.channel_id = c.channel_id
                                               AND cm.membership_id = c.membership_id))
          AND CASE coalesce(p.level, CASE WHEN ch.kind = 'direct' THEN 'all' ELSE 'mentions' END)
                  WHEN 'all' THEN true
                  WHEN 'mentions' THEN c.membership_id = ANY (coalesce(c.mentions, '{}')) OR c.mention_channel
                  ELSE false
              END
    )
    INSERT INTO notifications (message_id, user_id)
    SELECT message_id, user_id FROM recipients
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS queued = ROW_COUNT;
    IF queued > 0 THEN
        PERFORM pg_notify('eelchat_events', 'n:' || queued);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_queue_notifications AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION eelchat_queue_notifications();
