-- Placeholder for the lead's migration 0009 (push), so that this branch's migrations stay contiguous.
-- Dropped when the branches are merged; it changes nothing.
SELECT 1;
