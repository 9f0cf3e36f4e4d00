-- KPI rollups (issue 19): what a scorecard reads is kept current by a worker, never scanned
-- per request.
--
-- kpi_stale: the shipments ('s') and orders ('o') whose facts must be recomputed. Triggers
-- write it, so every path that changes what a figure reads (ingest, sweeps, documents,
-- cases, imports, edits, the ones written later) marks it without remembering to.
-- The tracking trigger only fires when a fact the scorecard reads changes (pickup,
-- delivery, cancellation, documents), not on every scan.
CREATE TABLE kpi_stale (
    tenant_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);

-- One row per shipment: its facts with dates already in the zones that judge them
-- (shipped_on and delivered_on in the tenant's, days_late in the destination's).
CREATE TABLE kpi_shipment_facts (
    tenant_id BLOB NOT NULL,
    shipment_id BLOB NOT NULL,
    order_id BLOB,
    carrier_id BLOB NOT NULL,
    lane TEXT NOT NULL,
    channel TEXT,
    shipped_on TEXT NOT NULL,
    delivered_on TEXT,
    days_late INTEGER,
    cancelled INTEGER NOT NULL,
    damaged INTEGER NOT NULL,
    documents_accurate INTEGER NOT NULL,
    case_types TEXT NOT NULL,
    accountables TEXT NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id)
);
CREATE INDEX kpi_shipment_facts_shipped ON kpi_shipment_facts (tenant_id, shipped_on);
CREATE INDEX kpi_shipment_facts_delivered ON kpi_shipment_facts (tenant_id, delivered_on)
    WHERE delivered_on IS NOT NULL;

-- One row per order with a promise, judged under the definitions version it names.
CREATE TABLE kpi_order_facts (
    tenant_id BLOB NOT NULL,
    order_id BLOB NOT NULL,
    due_on TEXT NOT NULL,
    channel TEXT NOT NULL,
    definitions_version INTEGER NOT NULL,
    counted INTEGER NOT NULL,
    otif INTEGER NOT NULL,
    perfect INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX kpi_order_facts_due ON kpi_order_facts (tenant_id, due_on);

-- The rollup: counts per tenant, local day, measure and the dimensions a definition may
-- exclude (carrier, channel), keyed further by what the measure breaks down by (days late,
-- lane, reason, party, definitions version). New figures are new measures, not new tables.
CREATE TABLE kpi_daily (
    tenant_id BLOB NOT NULL,
    day TEXT NOT NULL,
    measure TEXT NOT NULL,
    carrier_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    key TEXT NOT NULL,
    hits INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, measure, carrier_id, channel, key)
);

CREATE TRIGGER kpi_stale_shipment_insert AFTER INSERT ON shipments
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 's', NEW.id);
END;

CREATE TRIGGER kpi_stale_shipment_update AFTER UPDATE ON shipments
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 's', NEW.id);
END;

CREATE TRIGGER kpi_stale_tracking AFTER UPDATE ON shipment_tracking
WHEN OLD.delivered_at IS NOT NEW.delivered_at
    OR OLD.picked_up_at IS NOT NEW.picked_up_at
    OR (OLD.status = 'cancelled') <> (NEW.status = 'cancelled')
    OR OLD.pod_attached <> NEW.pod_attached
    OR OLD.documents_complete <> NEW.documents_complete
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id)
    VALUES (NEW.tenant_id, 's', NEW.shipment_id);
END;

CREATE TRIGGER kpi_stale_case_insert AFTER INSERT ON cases
WHEN NEW.shipment_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id)
    VALUES (NEW.tenant_id, 's', NEW.shipment_id);
END;

CREATE TRIGGER kpi_stale_case_update AFTER UPDATE ON cases
WHEN NEW.shipment_id IS NOT NULL
    AND (OLD.accountable <> NEW.accountable OR OLD.case_type <> NEW.case_type)
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id)
    VALUES (NEW.tenant_id, 's', NEW.shipment_id);
END;

CREATE TRIGGER kpi_stale_order_insert AFTER INSERT ON orders
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 'o', NEW.id);
END;

CREATE TRIGGER kpi_stale_order_update AFTER UPDATE ON orders
BEGIN
    INSERT OR IGNORE INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 'o', NEW.id);
END;

-- What exists already is computed by the worker's first rounds.
INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 's', id FROM shipments;
INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 'o', id FROM orders;
