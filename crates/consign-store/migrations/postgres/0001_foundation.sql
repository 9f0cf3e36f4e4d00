-- Foundation schema (PostgreSQL). Kept column-for-column identical to sqlite/0001 so one set of
-- queries serves both engines. Ids are native UUID v7, instants are microseconds since
-- the Unix epoch (UTC), money is integer minor units. The tenant id leads every key.

CREATE TABLE tenants (
    id UUID PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    carrier_id UUID,
    created_at BIGINT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE user_tenants (
    user_id UUID NOT NULL REFERENCES users(id),
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    PRIMARY KEY (user_id, tenant_id)
);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    tenant_id UUID REFERENCES tenants(id),
    carrier_id UUID,
    scopes TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE carriers (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    scac TEXT,
    mode TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, scac)
);

CREATE TABLE warehouses (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE customers (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    customer_key TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_key)
);

CREATE TABLE counters (
    tenant_id UUID NOT NULL,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE orders (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    number TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    customer_id UUID NOT NULL,
    customer_json TEXT NOT NULL,
    ship_to_json TEXT NOT NULL,
    channel TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    promised_by BIGINT,
    status TEXT NOT NULL,
    ordered_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, external_ref),
    UNIQUE (tenant_id, number)
);
CREATE INDEX orders_by_status ON orders (tenant_id, status, id);
CREATE INDEX orders_by_ordered_at ON orders (tenant_id, ordered_at);

CREATE TABLE order_lines (
    tenant_id UUID NOT NULL,
    order_id UUID NOT NULL,
    line_no BIGINT NOT NULL,
    sku TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line_no)
);

CREATE TABLE order_changes (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    order_id UUID NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    request_json TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX order_changes_by_order ON order_changes (tenant_id, order_id, at);

CREATE TABLE shipments (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    number TEXT NOT NULL,
    carrier_id UUID NOT NULL,
    service_level TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    direction TEXT NOT NULL,
    order_id UUID,
    origin_json TEXT NOT NULL,
    destination_json TEXT NOT NULL,
    weight_g BIGINT NOT NULL,
    pieces BIGINT NOT NULL,
    planned_pickup_at BIGINT,
    promised_by BIGINT,
    international BOOLEAN NOT NULL,
    pod_required BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    picked_up_at BIGINT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, carrier_id, tracking_number),
    UNIQUE (tenant_id, number)
);
CREATE INDEX shipments_by_order ON shipments (tenant_id, order_id);
CREATE INDEX shipments_by_status ON shipments (tenant_id, status, id);
CREATE INDEX shipments_by_carrier ON shipments (tenant_id, carrier_id, id);
CREATE INDEX shipments_by_tracking ON shipments (tenant_id, tracking_number);

CREATE TABLE shipment_lines (
    tenant_id UUID NOT NULL,
    shipment_id UUID NOT NULL,
    line_no BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id, line_no)
);

CREATE TABLE documents (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    shipment_id UUID NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX documents_by_shipment ON documents (tenant_id, shipment_id);

-- chain: the tenant id, or the nil UUID for provider-level changes.
CREATE TABLE audit_log (
    chain UUID NOT NULL,
    seq BIGINT NOT NULL,
    tenant_id UUID,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_by_entity ON audit_log (chain, entity, entity_id);

CREATE TABLE audit_heads (
    chain UUID PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status_code BIGINT,
    content_type TEXT,
    response_body BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_by_age ON idempotency_keys (created_at);
