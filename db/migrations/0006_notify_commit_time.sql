-- Delivery lag (eelchat_delivery_lag_seconds): the announcement of new events in a channel carries the
-- time of its insert, so that each instance can measure how long a change took from the database to its
-- subscribers' sockets. clock_timestamp() (not now(), the transaction's start) is read in the statement's
-- trigger, just before the commit that releases the notification:
--   m:<channel id>:<highest seq>:<microseconds since 1970-01-01 UTC>
-- Readers of the old form take the channel id before the first colon and still work.

CREATE OR REPLACE FUNCTION eelchat_notify_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'm:' || channel_id || ':' || max(seq) || ':' ||
                      (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    FROM new_messages GROUP BY channel_id;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION eelchat_notify_channel_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eelchat_events', 'm:' || channel_id || ':' || max(seq) || ':' ||
                      (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    FROM new_events GROUP BY channel_id;
    RETURN NULL;
END
$$;
