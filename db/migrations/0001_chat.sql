-- eelchat's data: people, their sessions and sign-in proofs, communities, channels, messages, feeds.
-- Ids are random UUIDs (gen_random_uuid, built into PostgreSQL 13+). Secrets (session, link and code
-- values) are stored only as SHA-256 hashes, so a copy of the database signs nobody in.

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Normalised by the application (trimmed, lower-cased); the check keeps it that way.
    email text NOT NULL UNIQUE CHECK (email = lower(btrim(email)) AND email <> ''),
    display_name text CHECK (display_name IS NULL OR char_length(display_name) BETWEEN 1 AND 50),
    joined_at timestamptz NOT NULL DEFAULT now()
);

-- A browser's session. Anonymous visitors get one too (user_id NULL) when a page shows them a form, so
-- that every POST can carry a CSRF token and a sign-in link can be bound to the browser that asked.
CREATE TABLE sessions (
    token_hash text PRIMARY KEY,          -- sha256 hex of the cookie value
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- An emailed sign-in link: valid for an hour, once, and bound to the session that asked for it.
CREATE TABLE sign_in_links (
    token_hash text PRIMARY KEY,
    email text NOT NULL,
    session_hash text NOT NULL,          -- the asking browser's session
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX sign_in_links_expires_idx ON sign_in_links (expires_at);

-- The current sign-in code of an email address: valid for three minutes and three wrong tries.
CREATE TABLE sign_in_codes (
    email text PRIMARY KEY,
    code_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0
);

-- Fixed-window counters for rate limits ("link:email:x", "link:ip:y", ...).
CREATE TABLE rate_limits (
    bucket text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL
);

CREATE TABLE communities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    roles text[] NOT NULL DEFAULT '{}' CHECK (roles <@ ARRAY['admin']::text[]),
    joined_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, community_id)
);
CREATE INDEX memberships_community_idx ON memberships (community_id);

CREATE TABLE channels (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The sequence number of the channel's newest message. Bumped in the same transaction that inserts
    -- a message, so sequence numbers are gap-free and in commit order: "everything after N" never skips
    -- a message that committed late.
    last_seq bigint NOT NULL DEFAULT 0
);
CREATE INDEX channels_community_title_idx ON channels (community_id, title);

CREATE TABLE messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    -- NULL: the system author (command replies, feed entries). A member who is removed keeps authorship
    -- of nothing, but their messages stay, shown as from a former member.
    membership_id uuid REFERENCES memberships (id) ON DELETE SET NULL,
    is_system boolean NOT NULL DEFAULT false,
    text text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Chosen by the compose form; a repeated POST with the same id stores the message once.
    client_id uuid,
    UNIQUE (channel_id, seq),
    UNIQUE (membership_id, client_id),
    CHECK (is_system = (membership_id IS NULL AND client_id IS NULL) OR NOT is_system)
);

-- RSS/Atom feeds followed by a channel (used by the feeds issue).
CREATE TABLE subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    url text NOT NULL,
    last_post_uri text,
    etag text,
    last_modified text,
    fetched_at timestamptz,
    next_fetch_at timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,
    error text,
    failures integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, url)
);
CREATE INDEX subscriptions_due_idx ON subscriptions (next_fetch_at);
