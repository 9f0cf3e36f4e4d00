//! The demo's EDI partner: the LTL carrier takes its loads as 204 tenders and answers them
//! with 997s the way real partners do — most within minutes, a few rejected, a few a day
//! late, a few never — so the demo's EDI screens and `edi_unacknowledged` cases are real.

use anyhow::Context;
use consign_app::App;
use consign_core::access::Principal;
use consign_core::edi::{NewTradingPartner, PartnerKind, TradingPartner};
use consign_core::ids::ShipmentId;
use consign_core::tenant::Tenant;
use consign_core::time::FixedClock;
use consign_edi::{
    EdiError, Envelope, ErrorKind, GroupResult, ReadOptions, Usage, WriteOptions, X12Version,
    ack_997, read, write_interchange,
};
use consign_store::ShipmentFilter;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The carrier that trades EDI in the demo (the generator's LTL carrier).
const EDI_CARRIER: &str = "ODFL";

/// How the partner answers one tender, decided by its position in the stream so the demo is
/// the same for everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A 997 accepting it after a few minutes.
    Prompt,
    /// A 997 rejecting the set (a segment the partner's map refused).
    Rejected,
    /// The 997 comes after 30 hours, once the case is open.
    Late,
    /// No 997 ever.
    Never,
}

fn answer_for(i: usize) -> Answer {
    match i % 50 {
        7 => Answer::Rejected,
        23 => Answer::Late,
        41 if i % 100 == 41 => Answer::Never,
        _ => Answer::Prompt,
    }
}

enum Step {
    Tender(ShipmentId, Answer),
    Reply(Vec<u8>),
}

/// The partner's side of the conversation, replayed on the demo's simulated clock.
pub struct DemoPartner {
    tenant: Tenant,
    partner: TradingPartner,
    steps: BTreeMap<(Timestamp, u64), Step>,
    seq: u64,
    replies: u32,
    now: Timestamp,
    pub tenders: u64,
    pub replies_sent: u64,
}

impl DemoPartner {
    /// Sets the carrier up as a trading partner of `tenant` and plans a tender for each of its
    /// shipments four hours before the planned pickup. `None` when the tenant does not use it.
    pub async fn new(app: &App, tenant: &Tenant, now: Timestamp) -> anyhow::Result<Option<Self>> {
        let system = Principal::system();
        let carriers = app.list_carriers(&system, tenant).await?;
        let Some(carrier) = carriers
            .iter()
            .find(|c| c.scac.as_deref() == Some(EDI_CARRIER))
        else {
            return Ok(None);
        };
        let partner = app
            .create_partner(
                &system,
                tenant,
                NewTradingPartner {
                    name: format!("{} EDI", carrier.name),
                    isa_qualifier: "02".into(),
                    isa_id: EDI_CARRIER.into(),
                    our_isa_qualifier: "ZZ".into(),
                    our_isa_id: format!("CONSIGN{}", tenant.slug.to_uppercase())
                        .chars()
                        .take(15)
                        .collect(),
                    kind: PartnerKind::Carrier,
                    carrier: Some(EDI_CARRIER.into()),
                    warehouse: None,
                    lenient: false,
                    allow_partial: false,
                    time_zone: "America/New_York".into(),
                    tracking_qualifiers: vec!["CN".into(), "BM".into()],
                    pro_qualifiers: vec!["CN".into()],
                    acknowledgement: Default::default(),
                },
            )
            .await?;
        let mut shipments = Vec::new();
        let mut after = None;
        loop {
            let page = app
                .list_shipments(
                    &system,
                    tenant,
                    &ShipmentFilter {
                        carrier: Some(carrier.id),
                        after,
                        limit: 500,
                        ..Default::default()
                    },
                )
                .await?;
            after = page.last().map(|s| s.id);
            let done = page.len() < 500;
            shipments.extend(
                page.into_iter()
                    .filter_map(|s| Some((s.planned_pickup_at?, s.id))),
            );
            if done {
                break;
            }
        }
        shipments.sort();
        let mut me = DemoPartner {
            tenant: tenant.clone(),
            partner,
            steps: BTreeMap::new(),
            seq: 0,
            replies: 0,
            now,
            tenders: 0,
            replies_sent: 0,
        };
        for (i, (pickup, id)) in shipments.into_iter().enumerate() {
            me.plan(
                pickup - SignedDuration::from_hours(4),
                Step::Tender(id, answer_for(i)),
            );
        }
        Ok(Some(me))
    }

    fn plan(&mut self, at: Timestamp, step: Step) {
        if at < self.now {
            self.seq += 1;
            self.steps.insert((at, self.seq), step);
        }
    }

    /// Sends the tenders and receives the answers due before `until`, each at its own instant.
    pub async fn run_until(&mut self, app: &App, until: Timestamp) -> anyhow::Result<()> {
        let system = Principal::system();
        while let Some(entry) = self.steps.first_entry() {
            let (at, _) = *entry.key();
            if at >= until {
                break;
            }
            let step = entry.remove();
            let mut then = app.clone();
            then.clock = Arc::new(FixedClock(at));
            match step {
                Step::Tender(id, answer) => {
                    let sent = then.tender_shipment(&system, &self.tenant, id).await?;
                    self.tenders += 1;
                    let delay = match answer {
                        Answer::Prompt | Answer::Rejected => SignedDuration::from_mins(9),
                        Answer::Late => SignedDuration::from_hours(30),
                        Answer::Never => continue,
                    };
                    let reply = self.reply(&sent.x12, answer == Answer::Rejected, at + delay)?;
                    self.plan(at + delay, Step::Reply(reply));
                }
                Step::Reply(bytes) => {
                    then.receive_edi(&system, &self.tenant, &bytes).await?;
                    self.replies_sent += 1;
                }
            }
        }
        Ok(())
    }

    /// The partner's 997 for the tender it received, accepting it or rejecting its set.
    fn reply(&mut self, x12: &str, reject: bool, at: Timestamp) -> anyhow::Result<Vec<u8>> {
        let doc = read(x12.as_bytes(), &ReadOptions::strict());
        let group = doc
            .interchanges
            .first()
            .and_then(|ic| ic.groups.first())
            .context("the demo tender holds no group")?;
        let mut result = GroupResult::from_group(group);
        if reject && let Some(set) = result.sets.first_mut() {
            set.errors.push(EdiError::new(
                ErrorKind::MissingSegment,
                "partner map: mandatory segment missing",
            ));
        }
        let ack = ack_997(group, &result, "0001");
        self.replies += 1;
        let utc = at.to_zoned(jiff::tz::TimeZone::UTC);
        let env = Envelope {
            sender_qualifier: self.partner.isa_qualifier.clone(),
            sender_id: self.partner.isa_id.clone(),
            receiver_qualifier: self.partner.our_isa_qualifier.clone(),
            receiver_id: self.partner.our_isa_id.clone(),
            application_sender: None,
            application_receiver: None,
            date: utc.date(),
            time: utc.time(),
            interchange_control: self.replies,
            group_control: self.replies,
            functional_id: "FA".into(),
            version: X12Version::V004010,
            usage: Usage::Production,
            ack_requested: false,
        };
        write_interchange(&env, &[ack], &WriteOptions::default())
            .map_err(|e| anyhow::anyhow!("writing the demo partner's 997: {e}"))
    }
}
