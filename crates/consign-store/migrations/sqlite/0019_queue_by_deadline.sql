-- The work queue and the home pages over open cases, across every tenant a provider serves.
-- Both predicates repeat the queries' `status IN (…)` word for word (`CaseStatus::OPEN_SQL`),
-- so both engines can match them.
--
-- A tenant's open cases by their next SLA deadline (none last), newest first among equals.
-- Without it every queue page sorted all the open cases it could see (10,000 a tenant in the
-- benchmark) to show fifty; with it each tenant's first page is the index's first rows, and
-- a queue across tenants merges one such run per tenant (`UNION ALL`).
CREATE INDEX cases_open_by_due ON cases (tenant_id, COALESCE(sla_due_at, 9223372036854775807), id DESC)
    WHERE status IN ('new', 'open', 'waiting_customer', 'waiting_carrier', 'waiting_client', 'waiting_warehouse');
-- The backlog a home page counts (by team, age, deadline state and holder) read from the
-- index alone: 100,000 open cases took 160 ms through the table on SQLite, 40 ms here.
-- `status` is a column too: SQLite counts an index as covering only if it holds every
-- column the query names.
CREATE INDEX cases_open_backlog ON cases (tenant_id, owner_team, opened_at, sla_due_at, assignee, status)
    WHERE status IN ('new', 'open', 'waiting_customer', 'waiting_carrier', 'waiting_client', 'waiting_warehouse');
