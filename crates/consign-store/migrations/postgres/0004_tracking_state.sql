-- A shipment's tracking state moves to a narrow table of its own (PostgreSQL).
--
-- Why: every ingested event rewrote its shipment's wide row, whose changed columns (status,
-- next check) were indexed, so PostgreSQL could never update in place (HOT) and touched all
-- eight indexes of `shipments` per event; the table bloated and ingest ran at a tenth of the
-- engine's own insert rate (docs/performance.md). Here the state is a short row with three
-- indexes and room on its page (fillfactor), and `shipments` is no longer written by tracking.
--
-- `next_check_at` is the exact instant the rulebook next needs the shipment (shown by the
-- API); `due_at` is what the sweep's index orders by and is only ever *moved earlier* by
-- ingest: a new scan pushes the stall deadline later every time, and leaving the indexed
-- column as it was keeps the update in place. The sweep then wakes such a shipment at the
-- earlier instant, finds nothing due, and sets `due_at` to the exact instant.
CREATE TABLE shipment_tracking (
    tenant_id UUID NOT NULL,
    shipment_id UUID NOT NULL,
    status TEXT NOT NULL,
    status_at BIGINT,
    reason TEXT,
    accountable TEXT,
    eta BIGINT,
    eta_at BIGINT,
    last_event_at BIGINT,
    picked_up_at BIGINT,
    delivered_at BIGINT,
    next_check_at BIGINT,
    due_at BIGINT,
    updated_at BIGINT NOT NULL,
    -- What the rules read besides the events, kept here rather than looked up per event:
    -- a proof of delivery or a commercial invoice on file, and an open case.
    pod_attached BOOLEAN NOT NULL DEFAULT false,
    documents_complete BOOLEAN NOT NULL DEFAULT false,
    open_cases BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, shipment_id),
    FOREIGN KEY (tenant_id, shipment_id) REFERENCES shipments (tenant_id, id)
) WITH (fillfactor = 70);

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
ALTER TABLE shipments DROP COLUMN status, DROP COLUMN status_at, DROP COLUMN reason, DROP COLUMN accountable,
    DROP COLUMN eta, DROP COLUMN eta_at, DROP COLUMN last_event_at, DROP COLUMN picked_up_at,
    DROP COLUMN delivered_at, DROP COLUMN next_check_at;

-- The sweep reads only due rows; shipment lists filter by status newest first.
CREATE INDEX shipment_tracking_due ON shipment_tracking (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX shipment_tracking_by_status ON shipment_tracking (tenant_id, status, shipment_id);
