-- Messages (SPEC §6): webhook endpoints and the transactional outbox.
--
-- An endpoint keeps its signing secrets (HMAC keys cannot be stored hashed: they sign) as a
-- JSON list, newest first, more than one during a rotation.
CREATE TABLE webhook_endpoints (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- A carrier's endpoint receives only the events about that carrier's shipments and cases.
    carrier_id BLOB,
    -- Event types, space-separated.
    events TEXT NOT NULL,
    secrets_json TEXT NOT NULL,
    disabled_at INTEGER,
    disabled_reason TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at);

-- One row per message, written in the transaction of the change that caused it. `seq` orders
-- delivery: a message waits while an earlier pending one has the same ordering key (which
-- starts with its route, the endpoint or the address). A worker's claim is a lease
-- (`lease_until`), so a worker that dies mid-delivery leaves the message to be claimed again.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id BLOB NOT NULL UNIQUE,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    transport TEXT NOT NULL,
    endpoint_id BLOB,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    sender TEXT,
    reply_to TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT,
    case_id BLOB,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    last_status INTEGER,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_in_order ON outbox (ordering_key, seq) WHERE state = 'pending';
CREATE INDEX outbox_by_tenant ON outbox (tenant_id, state, seq);
CREATE INDEX outbox_by_endpoint ON outbox (endpoint_id, seq) WHERE endpoint_id IS NOT NULL;
CREATE INDEX outbox_by_case ON outbox (case_id, seq) WHERE case_id IS NOT NULL;

-- Every attempt, for the endpoint's delivery log.
CREATE TABLE outbox_attempts (
    message_id BLOB NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (message_id, attempt)
);

-- A tenant's own message templates (the product's defaults are in the binary); one per name
-- and language, checked when saved.
CREATE TABLE message_templates (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    case_type TEXT NOT NULL,
    audience TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name, language)
);

-- Cases carry the provider's tags (SPEC §4), space-separated, lower case, sorted.
ALTER TABLE cases ADD COLUMN tags TEXT NOT NULL DEFAULT '';
