-- Carrier-level cases (`carrier_silent`) have no shipment: at most one open per carrier and
-- type, whatever process detects it.
CREATE UNIQUE INDEX cases_one_open_per_carrier ON cases (tenant_id, carrier_id, case_type)
    WHERE status = 'open' AND shipment_id IS NULL;
