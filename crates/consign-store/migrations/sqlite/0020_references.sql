-- Search by any reference a person has in hand (the workspace's search): a shipment's or an
-- order's number, a tracking number and the client's order reference in any letter case.
-- The expressions repeat the search's own (`UPPER(…) = `), so both engines use them.
CREATE INDEX shipments_by_number_upper ON shipments (tenant_id, UPPER(number));
CREATE INDEX shipments_by_tracking_upper ON shipments (tenant_id, UPPER(tracking_number));
CREATE INDEX orders_by_number_upper ON orders (tenant_id, UPPER(number));
CREATE INDEX orders_by_reference_upper ON orders (tenant_id, UPPER(external_ref));
