//! The audit trail: every change appends a record whose hash covers the previous record's
//! hash, so editing or deleting any record breaks the chain from that point on.
//!
//! There is one chain per tenant plus one for provider-level changes (tenants, users, tokens).
//! Per-tenant chains keep the tenant id leading every key and let tenants be moved or
//! distributed without re-hashing anyone else's history.

use crate::ids::TenantId;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// What happened, before it is placed in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub tenant_id: Option<TenantId>,
    pub at: Timestamp,
    /// `user:<id>`, `token:<id>` or `system`.
    pub actor: String,
    /// Entity kind in the domain's words: `order`, `shipment`, `tenant`, …
    pub entity: String,
    pub entity_id: String,
    /// `created`, `changed:address_change`, `released`, `revoked`, …
    pub action: String,
    /// JSON text of the entity before and after; kept as text so the hash covers exactly the
    /// bytes that are stored.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntry {
    pub fn new(
        tenant_id: Option<TenantId>,
        at: Timestamp,
        actor: String,
        entity: &str,
        entity_id: impl ToString,
        action: &str,
    ) -> Self {
        AuditEntry {
            tenant_id,
            at,
            actor,
            entity: entity.into(),
            entity_id: entity_id.to_string(),
            action: action.into(),
            before: None,
            after: None,
        }
    }

    pub fn before<T: serde::Serialize>(mut self, v: &T) -> Self {
        self.before = serde_json::to_string(v).ok();
        self
    }

    pub fn after<T: serde::Serialize>(mut self, v: &T) -> Self {
        self.after = serde_json::to_string(v).ok();
        self
    }
}

/// A stored audit record: an entry at position `seq` of its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

pub const GENESIS: [u8; 32] = [0; 32];

/// The hash of a record: SHA-256 over the previous hash and every field, each length-prefixed
/// so that moving bytes between fields changes the hash.
pub fn record_hash(prev: &[u8; 32], seq: i64, e: &AuditEntry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(e.at.as_microsecond().to_be_bytes());
    let tenant = e.tenant_id.map(|t| t.to_string()).unwrap_or_default();
    for field in [
        tenant.as_str(),
        e.actor.as_str(),
        e.entity.as_str(),
        e.entity_id.as_str(),
        e.action.as_str(),
        e.before.as_deref().unwrap_or("\u{0}none"),
        e.after.as_deref().unwrap_or("\u{0}none"),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// Places entries after `(last_seq, last_hash)` and returns the records to store.
pub fn chain(last_seq: i64, last_hash: [u8; 32], entries: Vec<AuditEntry>) -> Vec<AuditRecord> {
    let mut prev = last_hash;
    let mut seq = last_seq;
    entries
        .into_iter()
        .map(|entry| {
            seq += 1;
            let hash = record_hash(&prev, seq, &entry);
            let rec = AuditRecord {
                seq,
                entry,
                prev_hash: prev,
                hash,
            };
            prev = hash;
            rec
        })
        .collect()
}

/// The first record at which a chain stops verifying, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Incremental verifier: feed records in `seq` order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev: [u8; 32],
    pub verified: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev: GENESIS,
            verified: 0,
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let fail = |reason: String| Err(ChainBreak { seq: r.seq, reason });
        if r.seq != self.expected_seq {
            return fail(format!(
                "expected record {} but found {} (a record was removed or inserted)",
                self.expected_seq, r.seq
            ));
        }
        if r.prev_hash != self.prev {
            return fail("its previous-hash does not match the record before it".into());
        }
        let computed = record_hash(&self.prev, r.seq, &r.entry);
        if computed != r.hash {
            return fail("its contents do not match its hash (the record was edited)".into());
        }
        self.prev = r.hash;
        self.expected_seq += 1;
        self.verified += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: i64) -> AuditEntry {
        AuditEntry::new(
            None,
            Timestamp::from_second(1_700_000_000 + i).unwrap(),
            "system".into(),
            "order",
            i,
            "created",
        )
        .after(&serde_json::json!({"n": i}))
    }

    #[test]
    fn edits_and_removals_are_found_at_the_right_record() {
        let recs = chain(0, GENESIS, (1..=5).map(entry).collect());
        let mut v = ChainVerifier::default();
        for r in &recs {
            v.check(r).unwrap();
        }
        assert_eq!(v.verified, 5);

        let mut edited = recs.clone();
        edited[2].entry.after = Some("{\"n\":99}".into());
        let mut v = ChainVerifier::default();
        let brk = edited.iter().find_map(|r| v.check(r).err()).unwrap();
        assert_eq!(brk.seq, 3);
        assert!(brk.reason.contains("edited"));

        let mut removed = recs.clone();
        removed.remove(1);
        let mut v = ChainVerifier::default();
        let brk = removed.iter().find_map(|r| v.check(r).err()).unwrap();
        assert_eq!(brk.seq, 3);
    }

    #[test]
    fn chains_continue_across_batches() {
        let first = chain(0, GENESIS, vec![entry(1), entry(2)]);
        let last = first.last().unwrap();
        let second = chain(last.seq, last.hash, vec![entry(3)]);
        let mut v = ChainVerifier::default();
        for r in first.iter().chain(second.iter()) {
            v.check(r).unwrap();
        }
    }
}
