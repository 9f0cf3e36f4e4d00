-- The delivery worker's claim walks pending messages in `seq` order and stops after a batch.
-- With only `outbox_due` (by `next_attempt_at`), both engines walked the table in `seq` order
-- instead and stepped over every delivered message on the way, so a claim cost grew with the
-- outbox's whole history (PostgreSQL: 41 ms per claim with 50,000 delivered messages ahead,
-- 2 ms with this index). This index replaces `outbox_due`, which only the claim read: a due
-- check is a filter on the few pending rows the walk meets, and ingest keeps writing as many
-- outbox indexes as before.
DROP INDEX outbox_due;
CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';
