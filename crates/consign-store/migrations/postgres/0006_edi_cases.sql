-- EDI cases (`edi_unacknowledged`) are about a functional group we sent: the trading partner
-- and the group's control number (GS06). At most one open case per group and type; the
-- carrier-level index now leaves them out, since a carrier partner's cases also name the
-- carrier (so the case list filters by carrier) and one carrier may have several groups
-- unanswered at once.
ALTER TABLE cases ADD COLUMN partner_id UUID;
ALTER TABLE cases ADD COLUMN edi_group TEXT;
DROP INDEX cases_one_open_per_carrier;
CREATE UNIQUE INDEX cases_one_open_per_carrier ON cases (tenant_id, carrier_id, case_type)
    WHERE status = 'open' AND shipment_id IS NULL AND partner_id IS NULL;
CREATE UNIQUE INDEX cases_one_open_per_edi_group ON cases (tenant_id, partner_id, edi_group, case_type)
    WHERE status = 'open' AND partner_id IS NOT NULL;
-- The sweep looks for groups still unanswered past the rule's hours: only those rows are indexed.
CREATE INDEX edi_outbound_unanswered ON edi_outbound_groups (tenant_id, sent_at)
    WHERE ack_status IS NULL;
