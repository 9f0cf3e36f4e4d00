-- A shipment's freight references: the carrier's PRO number and the bill of lading, which
-- people and partners quote as often as the tracking number. Searched in any letter case
-- through the same `UPPER(…)` expressions as migration 0020's references.
ALTER TABLE shipments ADD COLUMN pro_number TEXT;
ALTER TABLE shipments ADD COLUMN bol_number TEXT;
CREATE INDEX shipments_by_pro_upper ON shipments (tenant_id, UPPER(pro_number));
CREATE INDEX shipments_by_bol_upper ON shipments (tenant_id, UPPER(bol_number));
