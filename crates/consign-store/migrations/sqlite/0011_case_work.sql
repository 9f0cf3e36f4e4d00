-- Case work (SPEC §4, §5): cases are owned, timed and measured work.
--
-- A case now moves new → open → waiting_* ⇄ open → resolved → closed. "Open" in the rule
-- "at most one open case per (subject, type)" means every status before `resolved`, so the
-- one partial unique index now spans them all: a case waiting on the customer is never
-- duplicated by a rule.
ALTER TABLE cases ADD COLUMN assignee BLOB;
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN resolution TEXT;
ALTER TABLE cases ADD COLUMN first_response_at INTEGER;
ALTER TABLE cases ADD COLUMN closed_at INTEGER;
-- When the condition began and ended by the facts' own time (a late scan's occurrence), next
-- to opened_at/resolved_at, when Consign learned of it. Cases stored before knew only the latter.
ALTER TABLE cases ADD COLUMN condition_began_at INTEGER;
ALTER TABLE cases ADD COLUMN condition_ended_at INTEGER;
ALTER TABLE cases ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN informs TEXT NOT NULL DEFAULT 'provider';
-- The next SLA deadline (lists sort by it) and the next instant the timer sweep has work for
-- the case; the sweep reads only due rows through `cases_timer`.
ALTER TABLE cases ADD COLUMN sla_due_at INTEGER;
ALTER TABLE cases ADD COLUMN timer_at INTEGER;
UPDATE cases SET condition_began_at = opened_at, condition_ended_at = resolved_at;
-- Rules resolved these automatically; the code is the one `default_resolution` names.
UPDATE cases SET resolution = CASE
    WHEN case_type IN ('delay_risk', 'delivery_failed', 'address_issue', 'lost') THEN 'delivered'
    WHEN case_type IN ('late_pickup', 'stalled', 'pod_missing', 'carrier_silent', 'customs_hold')
        THEN 'carrier_resolved'
    ELSE 'no_action_needed'
END WHERE status = 'resolved';
-- Open cases get their first timer look at once; the sweep plans the rest.
UPDATE cases SET timer_at = updated_at WHERE status = 'open';
DROP INDEX cases_one_open_per_subject;
CREATE UNIQUE INDEX cases_one_open_per_subject ON cases (tenant_id, subject_key, case_type)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX cases_timer ON cases (timer_at) WHERE timer_at IS NOT NULL;
CREATE INDEX cases_by_assignee ON cases (tenant_id, assignee) WHERE assignee IS NOT NULL;

-- Every entry has its actor and a visibility; field changes keep their before and after.
ALTER TABLE case_timeline ADD COLUMN actor TEXT NOT NULL DEFAULT 'system';
ALTER TABLE case_timeline ADD COLUMN visibility TEXT NOT NULL DEFAULT 'internal';
ALTER TABLE case_timeline ADD COLUMN field TEXT;
ALTER TABLE case_timeline ADD COLUMN before_value TEXT;
ALTER TABLE case_timeline ADD COLUMN after_value TEXT;
UPDATE case_timeline SET kind = 'resolved', field = 'status', before_value = 'open',
    after_value = (SELECT c.resolution FROM cases c
                   WHERE c.tenant_id = case_timeline.tenant_id AND c.id = case_timeline.case_id)
    WHERE kind = 'auto_resolved';
UPDATE case_timeline SET visibility = 'external' WHERE kind IN ('created', 'resolved');

-- Provider teams (queues) and their members; a team hands out new cases by hand, round-robin
-- or to the member with the fewest open cases, among those on shift.
CREATE TABLE teams (
    name TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL,
    assignment TEXT NOT NULL DEFAULT 'manual',
    last_assigned BLOB,
    created_at INTEGER NOT NULL
);
CREATE TABLE team_members (
    team TEXT NOT NULL REFERENCES teams(name),
    user_id BLOB NOT NULL REFERENCES users(id),
    on_shift INTEGER NOT NULL,
    PRIMARY KEY (team, user_id)
);

-- A tenant's case settings, versioned as a whole like its rulebooks: the ownership matrix,
-- the business calendars, the SLA policies and the days after which a resolved case closes.
-- The newest version applies; deadlines are computed from it, never stored as truth.
CREATE TABLE case_settings (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    version INTEGER NOT NULL,
    settings_json TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
