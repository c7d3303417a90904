-- Feeds: the poller's bookkeeping on subscriptions. Any instance may poll; a subscription is claimed for
-- a short lease with a fresh token before it is fetched, and the result is recorded only while that
-- token still holds, so however many instances run, one fetch of a feed posts its entries once. A
-- crashed instance's claim simply runs out.
ALTER TABLE subscriptions ADD COLUMN claim_token uuid;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_url_length CHECK (char_length(url) BETWEEN 1 AND 2000);
