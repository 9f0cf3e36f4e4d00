//! EDI trading partners, interchanges, sets and outbound groups: reads ([`EdiStore`]) and
//! writes ([`EdiTx`]).

use super::dialect::{Dialect, PushArg, QueryExt, RowExt};
use super::{
    SqlStore, SqlTx, chunk_rows, fetch_row, fetch_rows, json_col, ots, parsed, to_json, ts, us,
};
use crate::{EdiStore, EdiTx, Result};
use consign_core::edi::{
    Direction as EdiDirection, InterchangeRecord, OutboundGroup, PartnerKind, SetRecord,
    TradingPartner,
};
use consign_core::ids::{CarrierId, EdiSetId, InterchangeId, PartnerId, TenantId, WarehouseId};
use jiff::Timestamp;
use sqlx::QueryBuilder;
use uuid::Uuid;

const PARTNER_COLS: &str = "id, tenant_id, name, isa_qualifier, isa_id, our_isa_qualifier, \
    our_isa_id, kind, carrier_id, warehouse_id, lenient, allow_partial, time_zone, \
    tracking_qualifiers, pro_qualifiers, acknowledgement, created_at";
const INTERCHANGE_COLS: &str =
    "id, tenant_id, partner_id, direction, control_number, status, at, sha256, summary_json";

fn partner_row<DB: Dialect>(r: &DB::Row) -> Result<TradingPartner> {
    let kind: String = r.col("kind")?;
    let words = |s: String| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    Ok(TradingPartner {
        id: PartnerId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        name: r.col("name")?,
        isa_qualifier: r.col("isa_qualifier")?,
        isa_id: r.col("isa_id")?,
        our_isa_qualifier: r.col("our_isa_qualifier")?,
        our_isa_id: r.col("our_isa_id")?,
        kind: if kind == "warehouse" {
            PartnerKind::Warehouse
        } else {
            PartnerKind::Carrier
        },
        carrier_id: r.col::<Option<Uuid>>("carrier_id")?.map(CarrierId),
        warehouse_id: r.col::<Option<Uuid>>("warehouse_id")?.map(WarehouseId),
        lenient: r.col("lenient")?,
        allow_partial: r.col("allow_partial")?,
        time_zone: r.col("time_zone")?,
        tracking_qualifiers: words(r.col("tracking_qualifiers")?),
        pro_qualifiers: words(r.col("pro_qualifiers")?),
        acknowledgement: parsed(consign_core::edi::Acknowledgement::parse(
            &r.col::<String>("acknowledgement")?,
        ))?,
        created_at: ts(r.col("created_at")?),
    })
}

fn interchange_row<DB: Dialect>(r: &DB::Row) -> Result<InterchangeRecord> {
    let direction: String = r.col("direction")?;
    let summary: String = r.col("summary_json")?;
    Ok(InterchangeRecord {
        id: InterchangeId(r.col("id")?),
        tenant_id: TenantId(r.col("tenant_id")?),
        partner_id: PartnerId(r.col("partner_id")?),
        direction: parsed(EdiDirection::parse(&direction))?,
        control_number: r.col("control_number")?,
        status: r.col("status")?,
        at: ts(r.col("at")?),
        sha256: r.col("sha256")?,
        summary: json_col(&summary, "edi_interchanges.summary_json")?,
    })
}

const GROUP_COLS: &str = "partner_id, group_control, interchange_id, functional_id, set_count, \
    sent_at, ack_status, ack_at, ack_detail";

fn group_row<DB: Dialect>(r: &DB::Row) -> Result<OutboundGroup> {
    let n: i64 = r.col("set_count")?;
    Ok(OutboundGroup {
        partner_id: PartnerId(r.col("partner_id")?),
        group_control: r.col("group_control")?,
        interchange_id: InterchangeId(r.col("interchange_id")?),
        functional_id: r.col("functional_id")?,
        set_count: n as u32,
        sent_at: ts(r.col("sent_at")?),
        ack_status: r.col("ack_status")?,
        ack_at: ots(r.col("ack_at")?),
        ack_detail: r.col("ack_detail")?,
    })
}

#[async_trait::async_trait]
impl<DB: Dialect> EdiStore for SqlStore<DB> {
    async fn partners(&self, tenant: TenantId) -> Result<Vec<TradingPartner>> {
        let sql =
            format!("SELECT {PARTNER_COLS} FROM edi_partners WHERE tenant_id = $1 ORDER BY name");
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql)).arg(tenant.0),
            &self.read,
            partner_row::<DB>,
        )
        .await
    }

    async fn partner_by_isa(
        &self,
        tenant: TenantId,
        qualifier: &str,
        id: &str,
    ) -> Result<Option<TradingPartner>> {
        let sql = format!(
            "SELECT {PARTNER_COLS} FROM edi_partners WHERE tenant_id = $1 \
             AND isa_qualifier = $2 AND isa_id = $3"
        );
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(qualifier.trim().to_string())
                .arg(id.trim().to_string()),
            &self.read,
            partner_row::<DB>,
        )
        .await
    }

    async fn interchange_by_control(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        direction: EdiDirection,
        control: &str,
    ) -> Result<Option<InterchangeRecord>> {
        let sql = format!(
            "SELECT {INTERCHANGE_COLS} FROM edi_interchanges WHERE tenant_id = $1 \
             AND partner_id = $2 AND direction = $3 AND control_number = $4 \
             AND status <> 'rejected'"
        );
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(partner.0)
                .arg(direction.as_str())
                .arg(control.to_string()),
            &self.read,
            interchange_row::<DB>,
        )
        .await
    }

    async fn interchanges(
        &self,
        tenant: TenantId,
        partner: Option<PartnerId>,
        limit: u32,
    ) -> Result<Vec<InterchangeRecord>> {
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {INTERCHANGE_COLS} FROM edi_interchanges WHERE tenant_id = "
        ));
        qb.push_arg(tenant.0);
        if let Some(p) = partner {
            qb.push(" AND partner_id = ").push_arg(p.0);
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_arg(limit as i64);
        fetch_rows(qb.build(), &self.read, interchange_row::<DB>).await
    }

    async fn interchange_raw(
        &self,
        tenant: TenantId,
        id: InterchangeId,
    ) -> Result<Option<Vec<u8>>> {
        fetch_row(
            sqlx::query("SELECT raw FROM edi_interchanges WHERE tenant_id = $1 AND id = $2")
                .arg(tenant.0)
                .arg(id.0),
            &self.read,
            |r| Ok(r.col("raw")?),
        )
        .await
    }

    async fn edi_sets(
        &self,
        tenant: TenantId,
        interchange: InterchangeId,
    ) -> Result<Vec<SetRecord>> {
        let rows = sqlx::query(
            "SELECT id, interchange_id, partner_id, direction, group_control, set_control, set_id, \
             status, content_json, problems_json, at FROM edi_sets WHERE tenant_id = $1 \
             AND interchange_id = $2 ORDER BY id",
        )
        .arg(tenant.0)
        .arg(interchange.0)
        .fetch_all(DB::pool(&self.read))
        .await?;
        rows.iter()
            .map(|r| {
                let direction: String = r.col("direction")?;
                let content: Option<String> = r.col("content_json")?;
                let problems: String = r.col("problems_json")?;
                Ok(SetRecord {
                    id: EdiSetId(r.col("id")?),
                    interchange_id: InterchangeId(r.col("interchange_id")?),
                    partner_id: PartnerId(r.col("partner_id")?),
                    direction: parsed(EdiDirection::parse(&direction))?,
                    group_control: r.col("group_control")?,
                    set_control: r.col("set_control")?,
                    set_id: r.col("set_id")?,
                    status: r.col("status")?,
                    content: content
                        .map(|c| json_col(&c, "edi_sets.content_json"))
                        .transpose()?,
                    problems: json_col(&problems, "edi_sets.problems_json")?,
                    at: ts(r.col("at")?),
                })
            })
            .collect()
    }

    async fn outbound_groups(
        &self,
        tenant: TenantId,
        partner: PartnerId,
    ) -> Result<Vec<OutboundGroup>> {
        let sql = format!(
            "SELECT {GROUP_COLS} FROM edi_outbound_groups WHERE tenant_id = $1 \
             AND partner_id = $2 ORDER BY sent_at DESC"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(partner.0),
            &self.read,
            group_row::<DB>,
        )
        .await
    }

    async fn outbound_group(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        group_control: &str,
    ) -> Result<Option<OutboundGroup>> {
        let sql = format!(
            "SELECT {GROUP_COLS} FROM edi_outbound_groups WHERE tenant_id = $1 \
             AND partner_id = $2 AND group_control = $3"
        );
        fetch_row(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(partner.0)
                .arg(group_control.to_string()),
            &self.read,
            group_row::<DB>,
        )
        .await
    }

    async fn unanswered_groups(
        &self,
        tenant: TenantId,
        sent_before: Timestamp,
    ) -> Result<Vec<OutboundGroup>> {
        // The predicate repeats the partial index's own (`ack_status IS NULL`) so both
        // engines can use it.
        let sql = format!(
            "SELECT {GROUP_COLS} FROM edi_outbound_groups WHERE tenant_id = $1 \
             AND ack_status IS NULL AND sent_at <= $2 ORDER BY sent_at"
        );
        fetch_rows(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .arg(tenant.0)
                .arg(us(sent_before)),
            &self.read,
            group_row::<DB>,
        )
        .await
    }
}

#[async_trait::async_trait]
impl<DB: Dialect> EdiTx for SqlTx<DB> {
    async fn insert_partner(&mut self, p: &TradingPartner) -> Result<()> {
        sqlx::query(
            "INSERT INTO edi_partners (tenant_id, id, name, isa_qualifier, isa_id, \
             our_isa_qualifier, our_isa_id, kind, carrier_id, warehouse_id, lenient, \
             allow_partial, time_zone, tracking_qualifiers, pro_qualifiers, created_at, \
             acknowledgement) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17)",
        )
        .arg(p.tenant_id.0)
        .arg(p.id.0)
        .arg(p.name.clone())
        .arg(p.isa_qualifier.clone())
        .arg(p.isa_id.clone())
        .arg(p.our_isa_qualifier.clone())
        .arg(p.our_isa_id.clone())
        .arg(match p.kind {
            PartnerKind::Carrier => "carrier",
            PartnerKind::Warehouse => "warehouse",
        })
        .arg(p.carrier_id.map(|c| c.0))
        .arg(p.warehouse_id.map(|w| w.0))
        .arg(p.lenient)
        .arg(p.allow_partial)
        .arg(p.time_zone.clone())
        .arg(p.tracking_qualifiers.join(" "))
        .arg(p.pro_qualifiers.join(" "))
        .arg(us(p.created_at))
        .arg(p.acknowledgement.as_str())
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn insert_interchange(&mut self, r: &InterchangeRecord, raw: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO edi_interchanges (tenant_id, id, partner_id, direction, control_number, \
             status, at, sha256, raw, summary_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10)",
        )
        .arg(r.tenant_id.0)
        .arg(r.id.0)
        .arg(r.partner_id.0)
        .arg(r.direction.as_str())
        .arg(r.control_number.clone())
        .arg(r.status.clone())
        .arg(us(r.at))
        .arg(r.sha256.clone())
        .arg(raw.to_vec())
        .arg(to_json(&r.summary))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn insert_edi_sets(&mut self, tenant: TenantId, sets: &[SetRecord]) -> Result<()> {
        for chunk in sets.chunks(chunk_rows(12)) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO edi_sets (tenant_id, id, interchange_id, partner_id, direction, \
                 group_control, set_control, set_id, status, content_json, problems_json, at) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_arg(tenant.0)
                    .push_arg(s.id.0)
                    .push_arg(s.interchange_id.0)
                    .push_arg(s.partner_id.0)
                    .push_arg(s.direction.as_str())
                    .push_arg(s.group_control.clone())
                    .push_arg(s.set_control.clone())
                    .push_arg(s.set_id.clone())
                    .push_arg(s.status.clone())
                    .push_arg(s.content.as_ref().map(to_json))
                    .push_arg(to_json(&s.problems))
                    .push_arg(us(s.at));
            });
            qb.build().execute(DB::conn(&mut self.tx)).await?;
        }
        Ok(())
    }

    async fn insert_outbound_group(&mut self, tenant: TenantId, g: &OutboundGroup) -> Result<()> {
        sqlx::query(
            "INSERT INTO edi_outbound_groups (tenant_id, partner_id, group_control, \
             interchange_id, functional_id, set_count, sent_at) VALUES ($1, $2, $3, $4, $5, $6, \
             $7)",
        )
        .arg(tenant.0)
        .arg(g.partner_id.0)
        .arg(g.group_control.clone())
        .arg(g.interchange_id.0)
        .arg(g.functional_id.clone())
        .arg(g.set_count as i64)
        .arg(us(g.sent_at))
        .execute(DB::conn(&mut self.tx))
        .await?;
        Ok(())
    }

    async fn acknowledge_group(
        &mut self,
        tenant: TenantId,
        partner: PartnerId,
        group_control: &str,
        status: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<Option<Timestamp>> {
        let row = sqlx::query(
            "UPDATE edi_outbound_groups SET ack_status = $4, ack_at = $5, ack_detail = $6 \
             WHERE tenant_id = $1 AND partner_id = $2 AND group_control = $3 RETURNING sent_at",
        )
        .arg(tenant.0)
        .arg(partner.0)
        .arg(group_control.to_string())
        .arg(status.to_string())
        .arg(us(at))
        .arg(detail.to_string())
        .fetch_optional(DB::conn(&mut self.tx))
        .await?;
        Ok(match row {
            Some(r) => Some(ts(r.col("sent_at")?)),
            None => None,
        })
    }
}
