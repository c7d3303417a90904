-- Files attached to messages (issue 14). The bytes are in the storage (upload_blobs of 0011, or files in
-- UPLOADS_DIR); a row here says what they are and who may see them.
--
-- An upload belongs to the channel it was sent to and the account that sent it. It is pending
-- (message_id NULL) from the end of its upload until the message that carries it is posted, which
-- sets message_id in the same statement as the insert; pending uploads older than a day are removed by
-- housekeeping. Deleting the message (or its channel, or the account) deletes the rows.
--
-- content_type is what the server sniffed from the bytes (libmagic), never what the client said.
-- inline_image: the server decoded it as a raster image and made the thumbnail, so it may be shown in a
-- page; every other file is served as a download. width, height: the thumbnail's.
CREATE TABLE uploads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id uuid REFERENCES messages (id) ON DELETE CASCADE,
    position int NOT NULL DEFAULT 0,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size bigint NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL,
    blob_id uuid NOT NULL,
    inline_image boolean NOT NULL DEFAULT false,
    thumbnail_blob_id uuid,
    thumbnail_type text,
    width int,
    height int,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_message_idx ON uploads (message_id, position) WHERE message_id IS NOT NULL;
CREATE INDEX uploads_pending_idx ON uploads (created_at) WHERE message_id IS NULL;
CREATE INDEX uploads_user_idx ON uploads (user_id);
-- For the check that a queued blob is no longer referred to.
CREATE INDEX uploads_blob_idx ON uploads (blob_id);
CREATE INDEX uploads_thumbnail_blob_idx ON uploads (thumbnail_blob_id) WHERE thumbnail_blob_id IS NOT NULL;

-- How many files a message carries, so that reading a page of messages looks for attachments only on the
-- messages that have some.
ALTER TABLE messages ADD COLUMN attachments smallint NOT NULL DEFAULT 0;

-- Blobs whose upload row went (a deleted message, channel or account, an abandoned pending upload). The
-- server removes each from the storage once no upload row refers to it, then the row here: a storage
-- outside PostgreSQL (UPLOADS_DIR) cannot take part in a cascade, so this queue carries the deletion there.
CREATE TABLE upload_garbage (
    blob_id uuid PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION eelchat_queue_upload_garbage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO upload_garbage (blob_id)
    SELECT b FROM (SELECT OLD.blob_id AS b UNION ALL SELECT OLD.thumbnail_blob_id) x WHERE b IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER uploads_garbage AFTER DELETE ON uploads
    FOR EACH ROW EXECUTE FUNCTION eelchat_queue_upload_garbage();
