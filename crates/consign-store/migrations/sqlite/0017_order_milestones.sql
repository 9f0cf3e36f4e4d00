-- Order turnaround (issue 19): when an order was released (left `received` for anything
-- but a cancellation) and when it first shipped (a shipment drew on it), recorded on the
-- order itself. Triggers set them on every path that moves an order's status, once: the
-- first instant is the fact. `updated_at` is the instant of the change that moved it.
ALTER TABLE orders ADD COLUMN released_at INTEGER;
ALTER TABLE orders ADD COLUMN shipped_at INTEGER;
CREATE INDEX orders_by_released_at ON orders (tenant_id, released_at) WHERE released_at IS NOT NULL;
CREATE INDEX orders_by_shipped_at ON orders (tenant_id, shipped_at) WHERE shipped_at IS NOT NULL;

CREATE TRIGGER orders_released AFTER UPDATE OF status ON orders
WHEN NEW.released_at IS NULL AND NEW.status NOT IN ('received', 'cancelled')
BEGIN
    UPDATE orders SET released_at = NEW.updated_at WHERE tenant_id = NEW.tenant_id AND id = NEW.id;
END;

CREATE TRIGGER orders_shipped AFTER UPDATE OF status ON orders
WHEN NEW.shipped_at IS NULL AND NEW.status IN ('partially_shipped', 'shipped', 'delivered')
BEGIN
    UPDATE orders SET shipped_at = NEW.updated_at WHERE tenant_id = NEW.tenant_id AND id = NEW.id;
END;

CREATE TRIGGER orders_released_new AFTER INSERT ON orders
WHEN NEW.status NOT IN ('received', 'cancelled')
BEGIN
    UPDATE orders SET released_at = NEW.created_at,
        shipped_at = CASE WHEN NEW.status IN ('partially_shipped', 'shipped', 'delivered')
                     THEN NEW.created_at END
    WHERE tenant_id = NEW.tenant_id AND id = NEW.id;
END;

-- Existing orders: the instants from the audit trail. A release is audited as `released`;
-- shipments and deliveries move an order's status as `status_changed` (after it, the new
-- status, alone or in an object), and any such change means the order had left `received`.
UPDATE orders SET released_at = m.at
FROM (
    SELECT tenant_id, unhex(replace(entity_id, '-', '')) AS order_id, MIN(at) AS at
    FROM audit_log
    WHERE entity = 'order' AND action IN ('released', 'status_changed')
    GROUP BY tenant_id, entity_id
) AS m
WHERE orders.tenant_id = m.tenant_id AND orders.id = m.order_id;

UPDATE orders SET shipped_at = m.at
FROM (
    SELECT tenant_id, unhex(replace(entity_id, '-', '')) AS order_id, MIN(at) AS at
    FROM audit_log
    WHERE entity = 'order' AND action = 'status_changed'
      AND (after_json LIKE '%shipped%' OR after_json LIKE '%delivered%')
    GROUP BY tenant_id, entity_id
) AS m
WHERE orders.tenant_id = m.tenant_id AND orders.id = m.order_id;
