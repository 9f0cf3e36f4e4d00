-- A case's subject is one key, `kind:id` (`edi_group:partner:group` for a group we sent),
-- behind one rule: at most one open case per (tenant, subject, type). It replaces the three
-- partial unique indexes of shipment, carrier and EDI-group cases, so a new kind of subject
-- (invoice, return, sku-location) needs no new column or index. The key text is the one
-- `CaseSubject::key` writes (ids as lower-case hyphenated UUIDs). The link columns
-- (shipment_id, carrier_id, partner_id, edi_group) stay for lists and filters.
ALTER TABLE cases ADD COLUMN subject_key TEXT;
UPDATE cases SET subject_key = CASE
    WHEN partner_id IS NOT NULL AND edi_group IS NOT NULL
        THEN 'edi_group:' || partner_id::text || ':' || edi_group
    WHEN shipment_id IS NOT NULL THEN 'shipment:' || shipment_id::text
    WHEN carrier_id IS NOT NULL THEN 'carrier:' || carrier_id::text
    ELSE 'order:' || order_id::text
END;
DROP INDEX cases_one_open;
DROP INDEX cases_one_open_per_carrier;
DROP INDEX cases_one_open_per_edi_group;
CREATE UNIQUE INDEX cases_one_open_per_subject ON cases (tenant_id, subject_key, case_type)
    WHERE status = 'open';
