-- Uploads: the bytes of uploaded files, for the PostgreSQL storage backend (uploads/postgres_storage.hpp).
--
-- upload_blobs: one row per stored file, addressed only by its random id. A blob is written chunk by
-- chunk and becomes readable when `complete` is set, with its size and SHA-256 (lowercase hex). An
-- incomplete blob is an upload in progress or one that was abandoned; housekeeping removes those older
-- than a day. chunk_size: the size of every chunk but the last, so that a read at any offset finds its
-- chunk by division even if a later version writes bigger chunks.
--
-- upload_chunks: the bytes, in chunks numbered from 0, so that neither writing nor reading a file ever
-- holds more than one chunk in memory. Deleting the blob deletes its chunks.
CREATE TABLE upload_blobs (
    id uuid PRIMARY KEY,
    size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha256 text,
    chunk_size int NOT NULL CHECK (chunk_size > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    complete boolean NOT NULL DEFAULT false
);
CREATE INDEX upload_blobs_incomplete_idx ON upload_blobs (created_at) WHERE NOT complete;

CREATE TABLE upload_chunks (
    blob_id uuid NOT NULL REFERENCES upload_blobs (id) ON DELETE CASCADE,
    n int NOT NULL CHECK (n >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (blob_id, n)
);
-- The chunks are already-compressed file data more often than not: do not try to compress them again.
ALTER TABLE upload_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
