-- Tracking and exceptions (PostgreSQL). Events from every source in one table, deduplicated per
-- tenant by a 16-byte key (source message id, else the natural key); the shipment row carries
-- its derived state and the instant the rule engine next needs to look at it; cases with their
-- append-only timeline; per-tenant rulebooks, versioned.

ALTER TABLE shipments ADD COLUMN status_at BIGINT;
ALTER TABLE shipments ADD COLUMN reason TEXT;
ALTER TABLE shipments ADD COLUMN accountable TEXT;
ALTER TABLE shipments ADD COLUMN eta BIGINT;
ALTER TABLE shipments ADD COLUMN eta_at BIGINT;
ALTER TABLE shipments ADD COLUMN last_event_at BIGINT;
ALTER TABLE shipments ADD COLUMN next_check_at BIGINT;
-- The sweep reads only due rows: an index over the instants, not a scan of every shipment.
CREATE INDEX shipments_due ON shipments (next_check_at) WHERE next_check_at IS NOT NULL;
-- Shipments stored before this migration: their milestones date their status, and the open
-- ones are judged by the first sweep.
UPDATE shipments SET status_at = COALESCE(delivered_at, picked_up_at);
UPDATE shipments SET next_check_at = created_at
    WHERE status NOT IN ('delivered', 'returned_to_sender', 'cancelled', 'lost');

CREATE TABLE tracking_events (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    dedup_key BYTEA NOT NULL,
    carrier_id UUID NOT NULL,
    shipment_id UUID,
    tracking_number TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT,
    reason TEXT,
    accountable TEXT,
    eta BIGINT,
    source TEXT NOT NULL,
    message_id TEXT,
    raw_code TEXT NOT NULL,
    raw_reason TEXT NOT NULL,
    location TEXT NOT NULL,
    description TEXT NOT NULL,
    unmapped BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, dedup_key)
);
CREATE INDEX tracking_events_by_shipment ON tracking_events (tenant_id, shipment_id, occurred_at);
-- Orphans wait here for their shipment, found by carrier and tracking number when it appears.
CREATE INDEX tracking_events_orphans ON tracking_events (tenant_id, carrier_id, tracking_number)
    WHERE shipment_id IS NULL;

CREATE TABLE rulebooks (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE cases (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    number TEXT NOT NULL,
    case_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    accountable TEXT NOT NULL,
    owner_team TEXT NOT NULL,
    status TEXT NOT NULL,
    shipment_id UUID,
    order_id UUID,
    carrier_id UUID,
    rulebook_version BIGINT NOT NULL,
    detections BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number)
);
-- At most one open case per (subject, type), whatever process detects it (SPEC §3).
CREATE UNIQUE INDEX cases_one_open ON cases (tenant_id, shipment_id, case_type) WHERE status = 'open';
CREATE INDEX cases_by_status ON cases (tenant_id, status, id);
CREATE INDEX cases_by_shipment ON cases (tenant_id, shipment_id);

CREATE TABLE case_timeline (
    tenant_id UUID NOT NULL,
    case_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (tenant_id, case_id, seq)
);
