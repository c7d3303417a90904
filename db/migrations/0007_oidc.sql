-- Single sign-on: sign-ins begun at the OpenID Connect provider and not finished yet. A row lives from
-- the redirect to the provider until the browser comes back (or 10 minutes): the callback deletes it in
-- the same statement that reads it, so a state is good once. The state itself is stored only by its
-- SHA-256; the nonce and the PKCE verifier are needed as they are (the verifier goes to the token
-- endpoint), and are worthless without the code the provider gives only to the browser. browser_hash is
-- the session token hash of the browser that began (its visitor cookie or its session): the callback
-- must come from that browser.
CREATE TABLE oidc_logins (
    state_hash text PRIMARY KEY CHECK (char_length(state_hash) = 64),
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    browser_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_logins_created_idx ON oidc_logins (created_at);
