-- The case figures of a scorecard (issue 19) from the rollup, as the delivery figures are.
--
-- kpi_case_facts: one row per case, what it contributes to any period (`case::kpi::CaseFact`):
-- when it opened, its first response and the business minutes to it, and its last resolution
-- (of a case not open again) with what that counts. A period's flow figures (opened, MTTA,
-- MTTR, SLA attainment, reopen rate, first-contact resolution) are read from the rows whose
-- instants fall in it, exactly (medians from the minutes, not from buckets). Business minutes
-- depend on the tenant's calendars and policies: a new case-settings version marks every case
-- of the tenant again.
CREATE TABLE kpi_case_facts (
    tenant_id UUID NOT NULL,
    case_id UUID NOT NULL,
    opened_at BIGINT NOT NULL,
    answered_at BIGINT,
    tta_minutes BIGINT,
    resolved_at BIGINT,
    ttr_minutes BIGINT,
    reopened BOOLEAN NOT NULL,
    first_contact BOOLEAN NOT NULL,
    sla_met BIGINT NOT NULL,
    sla_applied BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, case_id)
);
CREATE INDEX kpi_case_facts_opened ON kpi_case_facts (tenant_id, opened_at);
CREATE INDEX kpi_case_facts_answered ON kpi_case_facts (tenant_id, answered_at)
    WHERE answered_at IS NOT NULL;
-- The resolutions' counts ride in the index, so a 12-period trend of the case rates is read
-- from the index alone.
CREATE INDEX kpi_case_facts_resolved
    ON kpi_case_facts (tenant_id, resolved_at, reopened, first_contact, sla_met, sla_applied)
    WHERE resolved_at IS NOT NULL;

-- A case is marked ('c') when something its fact reads changes: every timeline entry raises
-- `entries` (a message, a note, a status change, a resolution, a reopening), and the type and
-- severity choose its SLA policy. The timer sweep's own bookkeeping (`timer_at`,
-- `sla_due_at`) marks nothing.
CREATE FUNCTION kpi_stale_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO kpi_stale (tenant_id, kind, id) VALUES (NEW.tenant_id, 'c', NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER kpi_stale_case_fact_insert AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION kpi_stale_case();
CREATE TRIGGER kpi_stale_case_fact_update AFTER UPDATE ON cases
    FOR EACH ROW
    WHEN (OLD.entries <> NEW.entries
        OR OLD.status <> NEW.status
        OR OLD.case_type <> NEW.case_type
        OR OLD.severity <> NEW.severity
        OR OLD.first_response_at IS DISTINCT FROM NEW.first_response_at)
    EXECUTE FUNCTION kpi_stale_case();

-- The backlog at a period's end is counted from the cases themselves: those never reopened
-- by their `resolved_at` (the one resolution, or none yet), the reopened few from their
-- timelines.
CREATE INDEX cases_by_resolved ON cases (tenant_id, resolved_at);
CREATE INDEX cases_reopened ON cases (tenant_id, opened_at) WHERE reopen_count > 0;

-- What exists already is computed by the worker's first rounds.
INSERT INTO kpi_stale (tenant_id, kind, id) SELECT tenant_id, 'c', id FROM cases;
