-- KPI rollups (issue 19): what a scorecard reads is kept current by a worker, never scanned
-- per request.
--
-- kpi_stale: the shipments ('s') and orders ('o') whose facts must be recomputed. Triggers
-- write it, so every path that changes what a figure reads (ingest, sweeps, documents,
-- cases, imports, edits, the ones written later) marks it without remembering to.
-- The tracking trigger only fires when a fact the scorecard reads changes (pickup,
-- delivery, cancellation, documents), not on every scan.
CREATE TABLE kpi_stale (
    tenant_id UUID NOT NULL,
    kind TEXT NOT NULL,
    id UUID NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);

-- One row per shipment: its facts with dates already in the zones that judge them
-- (shipped_on and delivered_on in the tenant's, days_late in the destination's).
CREATE TABLE kpi_shipment_facts (
    tenant_id UUID NOT NULL,
    shipment_id UUID NOT NULL,
    order_id UUID,
    carrier_id UUID NOT NULL,
    lane TEXT NOT NULL,
    channel TEXT,
    shipped_on TEXT NOT NULL,
    delivered_on TEXT,
    days_late BIGINT,
    cancelled BOOLEAN NOT NULL,
    damaged BOOLEAN NOT NULL,
    documents_accurate BOOLEAN NOT NULL,
    case_types TEXT NOT NULL,
    accountables TEXT NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id)
);
CREATE INDEX kpi_shipment_facts_shipped ON kpi_shipment_facts (tenant_id, shipped_on);
CREATE INDEX kpi_shipment_facts_delivered ON kpi_shipment_facts (tenant_id, delivered_on)
    WHERE delivered_on IS NOT NULL;

-- One row per order with a promise, judged under the definitions version it names.
CREATE TABLE kpi_order_facts (
    tenant_id UUID NOT NULL,
    order_id UUID NOT NULL,
    due_on TEXT NOT NULL,
    channel TEXT NOT NULL,
    definitions_version BIGINT NOT NULL,
    counted BOOLEAN NOT NULL,
    otif BOOLEAN NOT NULL,
    perfect BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX kpi_order_facts_due ON kpi_order_facts (tenant_id, due_on);

-- The rollup: counts per tenant, local day, measure and the dimensions a definition may
-- exclude (carrier, channel), keyed further by what the measure breaks down by (days late,
-- lane, reason, party, definitions version). New figures are new measures, not new tables.
CREATE TABLE kpi_daily (
    tenant_id UUID NOT NULL,
    day TEXT NOT NULL,
    measure TEXT NOT NULL,
    carrier_id UUID NOT NULL,
    channel TEXT NOT NULL,
    key TEXT NOT NULL,
    hits BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, measure, carrier_id, channel, key)
);

-- Trigger functions, one per column that names the shipment or order.
CREATE FUNCTION kpi_stale_shipment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 's', NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION kpi_stale_shipment_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 's', NEW.shipment_id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION kpi_stale_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 'o', NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER kpi_stale_shipment_insert AFTER INSERT ON shipments
    FOR EACH ROW EXECUTE FUNCTION kpi_stale_shipment();
CREATE TRIGGER kpi_stale_shipment_update AFTER UPDATE ON shipments
    FOR EACH ROW EXECUTE FUNCTION kpi_stale_shipment();
CREATE TRIGGER kpi_stale_tracking AFTER UPDATE ON shipment_tracking
    FOR EACH ROW
    WHEN (OLD.delivered_at IS DISTINCT FROM NEW.delivered_at
        OR OLD.picked_up_at IS DISTINCT FROM NEW.picked_up_at
        OR (OLD.status = 'cancelled') <> (NEW.status = 'cancelled')
        OR OLD.pod_attached <> NEW.pod_attached
        OR OLD.documents_complete <> NEW.documents_complete)
    EXECUTE FUNCTION kpi_stale_shipment_of();
CREATE TRIGGER kpi_stale_case_insert AFTER INSERT ON cases
    FOR EACH ROW WHEN (NEW.shipment_id IS NOT NULL)
    EXECUTE FUNCTION kpi_stale_shipment_of();
CREATE TRIGGER kpi_stale_case_update AFTER UPDATE ON cases
    FOR EACH ROW
    WHEN (NEW.shipment_id IS NOT NULL
        AND (OLD.accountable <> NEW.accountable OR OLD.case_type <> NEW.case_type))
    EXECUTE FUNCTION kpi_stale_shipment_of();
CREATE TRIGGER kpi_stale_order_insert AFTER INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION kpi_stale_order();
CREATE TRIGGER kpi_stale_order_update AFTER UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION kpi_stale_order();

-- What exists already is computed by the worker's first rounds.
INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 's', id FROM shipments;
INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 'o', id FROM orders;
