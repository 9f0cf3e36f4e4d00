-- A tenant's KPI definitions (its contract's on-time window, in-full rule and exclusions),
-- every version kept: a scorecard names the version it was computed under, and an old
-- period can be recomputed under a newer one on request.
CREATE TABLE kpi_definitions (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    version INTEGER NOT NULL,
    definitions_json TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
