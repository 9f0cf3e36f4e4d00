-- An Idempotency-Key reservation is a lease that its request renews while it runs, and the
-- request's answer is written in the same transaction as its changes, guarded by `attempt`
-- (a number drawn per reservation): a request whose lease was taken over after it stalled
-- can no longer record an answer, so its changes roll back instead of committing twice.
ALTER TABLE idempotency_keys ADD COLUMN attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idempotency_keys ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- Reservations made before this migration keep the five minutes they were promised.
UPDATE idempotency_keys SET lease_until = created_at + 300000000 WHERE status_code IS NULL;
