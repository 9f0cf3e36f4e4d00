-- A shipment's tracking state moves to a narrow table of its own (SQLite). See the PostgreSQL
-- migration of the same number for why; on SQLite a short row also means each event rewrites
-- a few dozen bytes instead of the whole shipment with its addresses.
--
-- `next_check_at` is the exact instant the rulebook next needs the shipment; `due_at`, which
-- the sweep's index orders by, is only moved earlier by ingest and set exactly by the sweep.
CREATE TABLE shipment_tracking (
    tenant_id BLOB NOT NULL,
    shipment_id BLOB NOT NULL,
    status TEXT NOT NULL,
    status_at INTEGER,
    reason TEXT,
    accountable TEXT,
    eta INTEGER,
    eta_at INTEGER,
    last_event_at INTEGER,
    picked_up_at INTEGER,
    delivered_at INTEGER,
    next_check_at INTEGER,
    due_at INTEGER,
    updated_at INTEGER NOT NULL,
    -- What the rules read besides the events, kept here rather than looked up per event:
    -- a proof of delivery or a commercial invoice on file, and an open case.
    pod_attached INTEGER NOT NULL DEFAULT 0,
    documents_complete INTEGER NOT NULL DEFAULT 0,
    open_cases INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, shipment_id),
    FOREIGN KEY (tenant_id, shipment_id) REFERENCES shipments (tenant_id, id)
) WITHOUT ROWID;

INSERT INTO shipment_tracking (tenant_id, shipment_id, status, status_at, reason, accountable, eta, eta_at,
    last_event_at, picked_up_at, delivered_at, next_check_at, due_at, updated_at,
    pod_attached, documents_complete, open_cases)
SELECT s.tenant_id, s.id, s.status, s.status_at, s.reason, s.accountable, s.eta, s.eta_at,
    s.last_event_at, s.picked_up_at, s.delivered_at, s.next_check_at, s.next_check_at, s.updated_at,
    EXISTS (SELECT 1 FROM documents d WHERE d.tenant_id = s.tenant_id AND d.shipment_id = s.id AND d.kind = 'pod'),
    EXISTS (SELECT 1 FROM documents d WHERE d.tenant_id = s.tenant_id AND d.shipment_id = s.id AND d.kind = 'commercial_invoice'),
    EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = s.tenant_id AND k.shipment_id = s.id AND k.status = 'open')
FROM shipments s;

DROP INDEX shipments_due;
DROP INDEX shipments_by_status;
ALTER TABLE shipments DROP COLUMN status;
ALTER TABLE shipments DROP COLUMN status_at;
ALTER TABLE shipments DROP COLUMN reason;
ALTER TABLE shipments DROP COLUMN accountable;
ALTER TABLE shipments DROP COLUMN eta;
ALTER TABLE shipments DROP COLUMN eta_at;
ALTER TABLE shipments DROP COLUMN last_event_at;
ALTER TABLE shipments DROP COLUMN picked_up_at;
ALTER TABLE shipments DROP COLUMN delivered_at;
ALTER TABLE shipments DROP COLUMN next_check_at;

CREATE INDEX shipment_tracking_due ON shipment_tracking (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX shipment_tracking_by_status ON shipment_tracking (tenant_id, status, shipment_id);
