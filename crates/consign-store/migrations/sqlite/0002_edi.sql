-- EDI gateway (SQLite). Trading partners per tenant, every interchange kept raw (in and out),
-- every transaction set with its verdict and typed content, and the functional groups we sent
-- with the 997 that answered them.

CREATE TABLE edi_partners (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    isa_qualifier TEXT NOT NULL,
    isa_id TEXT NOT NULL,
    our_isa_qualifier TEXT NOT NULL,
    our_isa_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    carrier_id BLOB,
    warehouse_id BLOB,
    lenient INTEGER NOT NULL,
    allow_partial INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    tracking_qualifiers TEXT NOT NULL,
    pro_qualifiers TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, isa_qualifier, isa_id)
);

CREATE TABLE edi_interchanges (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    partner_id BLOB NOT NULL,
    direction TEXT NOT NULL,
    control_number TEXT NOT NULL,
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    raw BLOB NOT NULL,
    summary_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Re-delivery of an accepted interchange (same sender, same ISA13) is a no-op; a rejected one
-- may be sent again under its control number once corrected.
CREATE UNIQUE INDEX edi_interchanges_once ON edi_interchanges (tenant_id, partner_id, direction, control_number)
    WHERE status <> 'rejected';

CREATE TABLE edi_sets (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    interchange_id BLOB NOT NULL,
    partner_id BLOB NOT NULL,
    direction TEXT NOT NULL,
    group_control TEXT NOT NULL,
    set_control TEXT NOT NULL,
    set_id TEXT NOT NULL,
    status TEXT NOT NULL,
    content_json TEXT,
    problems_json TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX edi_sets_by_interchange ON edi_sets (tenant_id, interchange_id);
CREATE INDEX edi_sets_by_kind ON edi_sets (tenant_id, set_id, status, at);

CREATE TABLE edi_outbound_groups (
    tenant_id BLOB NOT NULL,
    partner_id BLOB NOT NULL,
    group_control TEXT NOT NULL,
    interchange_id BLOB NOT NULL,
    functional_id TEXT NOT NULL,
    set_count INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    ack_status TEXT,
    ack_at INTEGER,
    ack_detail TEXT,
    PRIMARY KEY (tenant_id, partner_id, group_control)
);
CREATE INDEX edi_outbound_awaiting ON edi_outbound_groups (tenant_id, partner_id, ack_status, sent_at);
