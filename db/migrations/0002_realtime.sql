-- Realtime: PostgreSQL announces, on one channel, every change a connected browser must hear about.
-- Payloads carry ids only; listeners read what they need from the tables. Statement-level triggers send
-- one notification per channel per statement, so a batch insert costs one NOTIFY per channel, not per row.
--   m:<channel id>:<highest seq>   new messages in a channel
--   c:<channel id>                 a channel was deleted
--   s:<session token hash>         a signed-in session ended (sign-out, expiry)
--   k:<membership id>              a membership ended

CREATE FUNCTION eelchat_notify_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'm:' || channel_id || ':' || max(seq))
    FROM new_messages GROUP BY channel_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_notify AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_messages();

CREATE FUNCTION eelchat_notify_channels_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'c:' || id) FROM gone_channels;
    RETURN NULL;
END
$$;
CREATE TRIGGER channels_notify_delete AFTER DELETE ON channels
    REFERENCING OLD TABLE AS gone_channels FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_channels_deleted();

CREATE FUNCTION eelchat_notify_sessions_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 's:' || token_hash) FROM gone_sessions WHERE user_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS gone_sessions FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_sessions_ended();

CREATE FUNCTION eelchat_notify_memberships_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'k:' || id) FROM gone_memberships;
    RETURN NULL;
END
$$;
CREATE TRIGGER memberships_notify_delete AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS gone_memberships FOR EACH STATEMENT EXECUTE FUNCTION eelchat_notify_memberships_ended();
