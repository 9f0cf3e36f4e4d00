-- Events staged for the outbox (issue 18): a use case that emits webhook events writes them
-- here as one row per transaction and tenant, in the transaction of the change, instead of
-- one `outbox` row per message. An outbox row costs its six indexes on the change's write
-- path (ingest slowed by 16-35 % with an endpoint subscribed); a staged row costs one insert
-- however many messages it holds. The delivery worker moves staged rows into `outbox`, in
-- `seq` order and in the transaction of its claim, before it claims: nothing is lost between
-- the two tables, and per ordering key the messages keep the order they were written in.
CREATE TABLE outbox_staged (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BLOB NOT NULL,
    -- How many messages `body` holds, so that counts need not parse it.
    messages INTEGER NOT NULL,
    -- The messages as a JSON array (see `StagedMessage` in the store), LZ4-compressed with
    -- its length first: about a sixth of the JSON's size, and the bytes are most of what a
    -- staged row costs.
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
