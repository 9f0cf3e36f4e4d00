-- Two reads every sweep makes, over open cases only. Their predicate repeats the queries'
-- own `status IN (…)` word for word (`CaseStatus::OPEN_SQL`): SQLite uses a partial index
-- only when the query's terms imply the index's, which it proves by matching them.
--
-- The carrier and EDI sweeps read a tenant's open cases of one type (`carrier_silent`,
-- `edi_unacknowledged`): through `cases_by_status` that walked every open case of the tenant
-- (1.1 ms a call on the demo, 10,000 calls in its replay). `id` last: the sweep reads them
-- in id order (the lock order on PostgreSQL), which the index then gives without a sort.
CREATE INDEX cases_open_by_type ON cases (tenant_id, case_type, id)
    WHERE status IN ('new', 'open', 'waiting_customer', 'waiting_carrier', 'waiting_client', 'waiting_warehouse');
-- Least-open-cases assignment counts each person's open cases across tenants: this index
-- holds exactly those rows (3.6 ms a count on the demo, over every case ever assigned).
CREATE INDEX cases_open_by_assignee ON cases (assignee)
    WHERE assignee IS NOT NULL
      AND status IN ('new', 'open', 'waiting_customer', 'waiting_carrier', 'waiting_client', 'waiting_warehouse');
