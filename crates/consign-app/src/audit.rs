//! `consign audit verify`: walks every chain from its first record, recomputing hashes, and
//! names the first record that does not verify.

use crate::{App, AppResult};
use consign_core::audit::ChainVerifier;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRecord {
    /// Tenant slug, or `provider` for the provider-level chain.
    pub chain: String,
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub chains: usize,
    pub records: u64,
    pub broken: Option<BrokenRecord>,
}

impl App {
    pub async fn verify_audit(&self) -> AppResult<AuditReport> {
        let tenants = self.store.tenants().await?;
        let chains = self.store.audit_chains().await?;
        let mut records = 0;
        for chain in &chains {
            let name = tenants
                .iter()
                .find(|t| t.id.0 == *chain)
                .map(|t| t.slug.clone())
                .unwrap_or_else(|| {
                    if chain.is_nil() {
                        "provider".into()
                    } else {
                        chain.to_string()
                    }
                });
            let mut v = ChainVerifier::default();
            let mut after = 0;
            let mut last = None;
            loop {
                let page = self.store.audit_page(*chain, after, 5_000).await?;
                let Some(tail) = page.last() else { break };
                after = tail.seq;
                for r in &page {
                    // The chain id is not hashed, the tenant is: a record moved to another
                    // tenant's chain is caught here.
                    let check = if consign_store::chain_of(r.entry.tenant_id) != *chain {
                        Err(consign_core::audit::ChainBreak {
                            seq: r.seq,
                            reason: "the record belongs to another tenant's chain".into(),
                        })
                    } else {
                        v.check(r)
                    };
                    if let Err(b) = check {
                        return Ok(AuditReport {
                            chains: chains.len(),
                            records: records + v.verified,
                            broken: Some(BrokenRecord {
                                chain: name,
                                seq: b.seq,
                                entity: r.entry.entity.clone(),
                                entity_id: r.entry.entity_id.clone(),
                                action: r.entry.action.clone(),
                                reason: b.reason,
                            }),
                        });
                    }
                }
                last = Some((tail.seq, tail.hash));
            }
            let head = self.store.audit_head(*chain).await?;
            let head_problem = match head {
                None if last.is_some() => Some((
                    0,
                    "the chain has records but no head (the head row was removed)".to_string(),
                )),
                Some((seq, hash)) if seq > 0 && last != Some((seq, hash)) => Some((
                    seq,
                    format!(
                        "the chain head records {seq} entries but the log ends at {} (newest records were removed or rewritten)",
                        last.map(|l| l.0).unwrap_or(0)
                    ),
                )),
                _ => None,
            };
            if let Some((seq, reason)) = head_problem {
                return Ok(AuditReport {
                    chains: chains.len(),
                    records: records + v.verified,
                    broken: Some(BrokenRecord {
                        chain: name,
                        seq,
                        entity: String::new(),
                        entity_id: String::new(),
                        action: String::new(),
                        reason,
                    }),
                });
            }
            records += v.verified;
        }
        Ok(AuditReport {
            chains: chains.len(),
            records,
            broken: None,
        })
    }
}
