//! Message templates as a tenant manages them: the product's defaults for every case type,
//! overridden per name and language; every save checked (syntax, unknown variables), and a
//! preview that renders a template against a real case of the tenant.

use crate::{App, AppError, AppResult, require, tenant_audit};
use consign_core::access::{Capability, Principal};
use consign_core::case::{Case, TimelineKind};
use consign_core::ids::CaseId;
use consign_core::message::variables::ShipmentFacts;
use consign_core::message::{MessageContext, MessageFacts, Rendered, Template, defaults, render};
use consign_core::tenant::Tenant;
use serde::Serialize;

/// A template and where it comes from.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateView {
    #[serde(flatten)]
    pub template: Template,
    /// `default` (shipped with the product) or `tenant` (the tenant's own).
    pub source: &'static str,
    /// For a default: whether the tenant overrides it (same name and language).
    pub overridden: bool,
}

impl App {
    /// The templates in force for the tenant: its own, and the defaults beside them.
    pub async fn list_templates(
        &self,
        p: &Principal,
        tenant: &Tenant,
    ) -> AppResult<Vec<TemplateView>> {
        require(p, Capability::ReadCases)?;
        let own = self.store.message_templates(tenant.id).await?;
        let mut out: Vec<TemplateView> = own
            .iter()
            .map(|t| TemplateView {
                template: t.clone(),
                source: "tenant",
                overridden: false,
            })
            .collect();
        for d in defaults() {
            out.push(TemplateView {
                template: d.clone(),
                source: "default",
                overridden: own
                    .iter()
                    .any(|t| t.name == d.name && t.language == d.language),
            });
        }
        Ok(out)
    }

    /// Saves a tenant's template after checking it (the line of a syntax error, the name of
    /// an unknown variable).
    pub async fn put_template(
        &self,
        p: &Principal,
        tenant: &Tenant,
        template: Template,
    ) -> AppResult<Template> {
        require(p, Capability::ManageCaseSettings)?;
        template.check()?;
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.put_template(tenant.id, &template, now, &p.actor.label())
            .await?;
        self.commit_audited(
            tx,
            tenant_audit(
                tenant,
                p,
                now,
                "message_template",
                format!("{}:{}", template.name, template.language),
                "saved",
            )
            .after(&template),
        )
        .await?;
        Ok(template)
    }

    /// Removes a tenant's template (its default, if any, is in force again).
    pub async fn delete_template(
        &self,
        p: &Principal,
        tenant: &Tenant,
        name: &str,
        language: &str,
    ) -> AppResult<()> {
        require(p, Capability::ManageCaseSettings)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        if !tx.delete_template(tenant.id, name, language).await? {
            return Err(AppError::NotFound(format!(
                "template {name} ({language}) of tenant {}",
                tenant.slug
            )));
        }
        self.commit_audited(
            tx,
            tenant_audit(
                tenant,
                p,
                now,
                "message_template",
                format!("{name}:{language}"),
                "deleted",
            ),
        )
        .await
    }

    /// Renders `template` (checked first) against case `id` as it stands, sending nothing.
    pub async fn preview_template(
        &self,
        p: &Principal,
        tenant: &Tenant,
        id: CaseId,
        template: &Template,
    ) -> AppResult<Rendered> {
        require(p, Capability::WorkCases)?;
        template.check()?;
        let (case, _) = self.get_case(p, tenant, id).await?;
        let ctx = self.message_context(p, tenant, &case, None).await?;
        render(template, &ctx)
            .map_err(|e| AppError::Invalid(consign_core::Invalid::one(e.field, e.reason)))
    }

    /// The variables a template sees for `case`: the case with its opening description, its
    /// shipment (carrier, ETA) and order, the reply address and the acting person.
    pub(crate) async fn message_context(
        &self,
        p: &Principal,
        tenant: &Tenant,
        case: &Case,
        reply_to: Option<&str>,
    ) -> AppResult<MessageContext> {
        let timeline = self.store.case_timeline(tenant.id, case.id).await?;
        let description = timeline
            .iter()
            .find(|e| e.kind == TimelineKind::Created)
            .map(|e| e.detail.clone());
        let shipment = match case.shipment_id() {
            Some(s) => self.store.shipment(tenant.id, s).await?,
            None => None,
        };
        let tracked = match &shipment {
            Some(s) => self
                .store
                .tracked_shipments(tenant.id, &[s.id])
                .await?
                .pop(),
            None => None,
        };
        let subject_order = match case.subject {
            consign_core::case::CaseSubject::Order(o) => Some(o),
            _ => None,
        };
        let order_id = case
            .order_id
            .or(subject_order)
            .or(shipment.as_ref().and_then(|s| s.order_id));
        let order = match order_id {
            Some(o) => self.store.order(tenant.id, o).await?,
            None => None,
        };
        let carriers = self.cache.carriers(&self.store, tenant.id).await?;
        let carrier_name = shipment
            .as_ref()
            .and_then(|s| carriers.iter().find(|c| c.id == s.carrier_id))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let agent = match &p.actor {
            consign_core::access::Actor::User(u) => self.store.user(*u).await?.map(|u| u.name),
            _ => None,
        };
        let tz = jiff::tz::TimeZone::get(&tenant.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(MessageContext::build(
            &MessageFacts {
                tenant,
                case,
                case_description: description.as_deref(),
                shipment: shipment.as_ref().map(|s| ShipmentFacts {
                    shipment: s,
                    carrier_name: &carrier_name,
                    eta: tracked.as_ref().and_then(|t| t.state.eta),
                }),
                order: order.as_ref(),
                reply_to,
                agent_name: agent.as_deref(),
            },
            &tz,
        ))
    }
}
