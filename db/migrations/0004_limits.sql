-- Secrets the instances of one eelchat share, made once by the database itself (gen_random_uuid draws
-- on the server's strong random source). 'browser' signs what the server keeps no row for: the CSRF
-- token of a visitor who is not signed in, and the cookie that marks a browser that signed in before.
CREATE TABLE server_keys (
    name text PRIMARY KEY,
    secret text NOT NULL CHECK (char_length(secret) >= 64)
);
INSERT INTO server_keys (name, secret)
VALUES ('browser', encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'));

-- Visitors who are not signed in no longer get a row (one per anonymous page view was a way to fill
-- the table): theirs are gone, and such a browser simply gets a new cookie.
DELETE FROM sessions WHERE user_id IS NULL;

-- Who subscribed a channel to a feed, so that one account's subscriptions can be counted.
ALTER TABLE subscriptions ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX subscriptions_created_by_idx ON subscriptions (created_by);
