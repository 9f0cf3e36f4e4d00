-- Foundation schema (SQLite). Kept column-for-column identical to postgres/0001 so one set of
-- queries serves both engines (primary keys are spelled NOT NULL because SQLite otherwise
-- allows NULL in non-integer primary keys). Ids are 16-byte UUID v7 blobs, instants are microseconds since
-- the Unix epoch (UTC), money is integer minor units. The tenant id leads every key.

CREATE TABLE tenants (
    id BLOB NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id BLOB NOT NULL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    carrier_id BLOB,
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_tenants (
    user_id BLOB NOT NULL REFERENCES users(id),
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    PRIMARY KEY (user_id, tenant_id)
);

CREATE TABLE api_tokens (
    id BLOB NOT NULL PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    tenant_id BLOB REFERENCES tenants(id),
    carrier_id BLOB,
    scopes TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE sessions (
    token_hash BLOB NOT NULL PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE carriers (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    scac TEXT,
    mode TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, scac)
);

CREATE TABLE warehouses (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE customers (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    customer_key TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, customer_key)
);

CREATE TABLE counters (
    tenant_id BLOB NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE orders (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    number TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    customer_json TEXT NOT NULL,
    ship_to_json TEXT NOT NULL,
    channel TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor INTEGER NOT NULL,
    promised_by INTEGER,
    status TEXT NOT NULL,
    ordered_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, external_ref),
    UNIQUE (tenant_id, number)
);
CREATE INDEX orders_by_status ON orders (tenant_id, status, id);
CREATE INDEX orders_by_ordered_at ON orders (tenant_id, ordered_at);

CREATE TABLE order_lines (
    tenant_id BLOB NOT NULL,
    order_id BLOB NOT NULL,
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line_no)
);

CREATE TABLE order_changes (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    order_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    request_json TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX order_changes_by_order ON order_changes (tenant_id, order_id, at);

CREATE TABLE shipments (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    number TEXT NOT NULL,
    carrier_id BLOB NOT NULL,
    service_level TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    direction TEXT NOT NULL,
    order_id BLOB,
    origin_json TEXT NOT NULL,
    destination_json TEXT NOT NULL,
    weight_g INTEGER NOT NULL,
    pieces INTEGER NOT NULL,
    planned_pickup_at INTEGER,
    promised_by INTEGER,
    international INTEGER NOT NULL,
    pod_required INTEGER NOT NULL,
    status TEXT NOT NULL,
    picked_up_at INTEGER,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, carrier_id, tracking_number),
    UNIQUE (tenant_id, number)
);
CREATE INDEX shipments_by_order ON shipments (tenant_id, order_id);
CREATE INDEX shipments_by_status ON shipments (tenant_id, status, id);
CREATE INDEX shipments_by_carrier ON shipments (tenant_id, carrier_id, id);
CREATE INDEX shipments_by_tracking ON shipments (tenant_id, tracking_number);

CREATE TABLE shipment_lines (
    tenant_id BLOB NOT NULL,
    shipment_id BLOB NOT NULL,
    line_no INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, shipment_id, line_no)
);

CREATE TABLE documents (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    shipment_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX documents_by_shipment ON documents (tenant_id, shipment_id);

-- chain: the tenant id, or the nil UUID for provider-level changes.
CREATE TABLE audit_log (
    chain BLOB NOT NULL,
    seq INTEGER NOT NULL,
    tenant_id BLOB,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_by_entity ON audit_log (chain, entity, entity_id);

CREATE TABLE audit_heads (
    chain BLOB NOT NULL PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status_code INTEGER,
    content_type TEXT,
    response_body BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_by_age ON idempotency_keys (created_at);
