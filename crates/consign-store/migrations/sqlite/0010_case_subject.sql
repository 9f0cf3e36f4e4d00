-- A case's subject is one key, `kind:id` (`edi_group:partner:group` for a group we sent),
-- behind one rule: at most one open case per (tenant, subject, type). It replaces the three
-- partial unique indexes of shipment, carrier and EDI-group cases, so a new kind of subject
-- (invoice, return, sku-location) needs no new column or index. The key text is the one
-- `CaseSubject::key` writes (ids as lower-case hyphenated UUIDs). The link columns
-- (shipment_id, carrier_id, partner_id, edi_group) stay for lists and filters.
ALTER TABLE cases ADD COLUMN subject_key TEXT;
UPDATE cases SET subject_key = CASE
    WHEN partner_id IS NOT NULL AND edi_group IS NOT NULL
        THEN 'edi_group:' || lower(substr(hex(partner_id), 1, 8) || '-' || substr(hex(partner_id), 9, 4) || '-' || substr(hex(partner_id), 13, 4) || '-' || substr(hex(partner_id), 17, 4) || '-' || substr(hex(partner_id), 21, 12)) || ':' || edi_group
    WHEN shipment_id IS NOT NULL THEN 'shipment:' || lower(substr(hex(shipment_id), 1, 8) || '-' || substr(hex(shipment_id), 9, 4) || '-' || substr(hex(shipment_id), 13, 4) || '-' || substr(hex(shipment_id), 17, 4) || '-' || substr(hex(shipment_id), 21, 12))
    WHEN carrier_id IS NOT NULL THEN 'carrier:' || lower(substr(hex(carrier_id), 1, 8) || '-' || substr(hex(carrier_id), 9, 4) || '-' || substr(hex(carrier_id), 13, 4) || '-' || substr(hex(carrier_id), 17, 4) || '-' || substr(hex(carrier_id), 21, 12))
    ELSE 'order:' || lower(substr(hex(order_id), 1, 8) || '-' || substr(hex(order_id), 9, 4) || '-' || substr(hex(order_id), 13, 4) || '-' || substr(hex(order_id), 17, 4) || '-' || substr(hex(order_id), 21, 12))
END;
DROP INDEX cases_one_open;
DROP INDEX cases_one_open_per_carrier;
DROP INDEX cases_one_open_per_edi_group;
CREATE UNIQUE INDEX cases_one_open_per_subject ON cases (tenant_id, subject_key, case_type)
    WHERE status = 'open';
