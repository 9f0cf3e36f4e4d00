-- Order turnaround (issue 19): when an order was released (left `received` for anything
-- but a cancellation) and when it first shipped (a shipment drew on it), recorded on the
-- order itself. A trigger sets them on every path that moves an order's status, once: the
-- first instant is the fact. `updated_at` is the instant of the change that moved it.
ALTER TABLE orders ADD COLUMN released_at BIGINT;
ALTER TABLE orders ADD COLUMN shipped_at BIGINT;
CREATE INDEX orders_by_released_at ON orders (tenant_id, released_at) WHERE released_at IS NOT NULL;
CREATE INDEX orders_by_shipped_at ON orders (tenant_id, shipped_at) WHERE shipped_at IS NOT NULL;

CREATE FUNCTION orders_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.released_at IS NULL AND NEW.status NOT IN ('received', 'cancelled') THEN
        NEW.released_at := CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END;
    END IF;
    IF NEW.shipped_at IS NULL AND NEW.status IN ('partially_shipped', 'shipped', 'delivered') THEN
        NEW.shipped_at := CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER orders_milestones BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_milestones();

-- Existing orders: the instants from the audit trail. A release is audited as `released`;
-- shipments and deliveries move an order's status as `status_changed` (after it, the new
-- status, alone or in an object), and any such change means the order had left `received`.
UPDATE orders SET released_at = m.at
FROM (
    SELECT tenant_id, entity_id::uuid AS order_id, MIN(at) AS at
    FROM audit_log
    WHERE entity = 'order' AND action IN ('released', 'status_changed')
    GROUP BY tenant_id, entity_id
) AS m
WHERE orders.tenant_id = m.tenant_id AND orders.id = m.order_id;

UPDATE orders SET shipped_at = m.at
FROM (
    SELECT tenant_id, entity_id::uuid AS order_id, MIN(at) AS at
    FROM audit_log
    WHERE entity = 'order' AND action = 'status_changed'
      AND (after_json LIKE '%shipped%' OR after_json LIKE '%delivered%')
    GROUP BY tenant_id, entity_id
) AS m
WHERE orders.tenant_id = m.tenant_id AND orders.id = m.order_id;
