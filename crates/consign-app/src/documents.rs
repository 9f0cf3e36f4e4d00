//! Shipment documents (BOL, POD, commercial invoice, customs): bytes in a content-addressed
//! folder (`<dir>/<first two hex>/<sha256>`), so the same file uploaded twice is stored once;
//! metadata and the audit record in the store.

use crate::{App, AppError, AppResult, entropy, require, tenant_audit};
use consign_core::Invalid;
use consign_core::access::{Capability, Principal};
use consign_core::ids::*;
use consign_core::shipment::{Document, DocumentKind};
use consign_core::tenant::Tenant;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// An upload as received: the kind and file name the caller gave, its media type and bytes.
pub struct Upload<'a> {
    pub kind: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl App {
    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.documents_dir.join(&sha256[..2]).join(sha256)
    }

    pub async fn attach_document(
        &self,
        p: &Principal,
        tenant: &Tenant,
        shipment: ShipmentId,
        upload: Upload<'_>,
    ) -> AppResult<Document> {
        let Upload {
            kind,
            filename,
            content_type,
            bytes,
        } = upload;
        require(p, Capability::AttachDocuments)?;
        let s = self.get_shipment(p, tenant, shipment).await?;
        let mut inv = Invalid::default();
        let kind = DocumentKind::parse(kind)
            .map_err(|e| inv.push("kind", e))
            .ok();
        let name = filename.trim();
        if name.is_empty()
            || name.len() > 200
            || name.contains(['/', '\\', '"'])
            || name.chars().any(char::is_control)
            || name.starts_with('.')
        {
            inv.push(
                "filename",
                "must be 1-200 characters without path separators, quotes or control characters, and not start with '.'",
            );
        }
        if content_type.is_empty()
            || content_type.len() > 100
            || !content_type.contains('/')
            || !content_type
                .bytes()
                .all(|b| b.is_ascii_graphic() || b == b' ')
        {
            inv.push(
                "content_type",
                format!("'{content_type}' is not a media type"),
            );
        }
        if bytes.is_empty() {
            inv.push("body", "the document is empty");
        } else if bytes.len() > MAX_DOCUMENT_BYTES {
            inv.push(
                "body",
                format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes"),
            );
        }
        let Some(kind) = kind else {
            return Err(inv.into());
        };
        if !inv.is_empty() {
            return Err(inv.into());
        }
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.blob_path(&sha);
        if !tokio::fs::try_exists(&path).await? {
            let dir = path.parent().expect("blob path has a parent");
            tokio::fs::create_dir_all(dir).await?;
            // Write then rename so a crash never leaves a truncated blob under its final name.
            let tmp = dir.join(format!(".{sha}.{}", entropy()));
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &path).await?;
        }
        let now = self.now();
        let doc = Document {
            id: DocumentId::new_at(now, entropy()),
            tenant_id: tenant.id,
            shipment_id: s.id,
            kind,
            filename: name.into(),
            content_type: content_type.into(),
            sha256: sha,
            size_bytes: bytes.len() as u64,
            uploaded_at: now,
            uploaded_by: p.actor.label(),
        };
        let mut tx = self.begin().await?;
        tx.insert_document(&doc).await?;
        // A document can settle a case (proof of delivery, customs papers): judge the
        // shipment again with the document counted.
        let mut tracked = tx.lock_tracked(tenant.id, &[s.id]).await?;
        for t in &mut tracked {
            t.pod_attached |= kind == DocumentKind::Pod;
            t.documents_complete |= kind == DocumentKind::CommercialInvoice;
        }
        let book = self.rulebook_in_force(tenant.id).await?;
        self.judge_and_apply(
            &mut *tx,
            tenant.id,
            &p.actor.label(),
            &book,
            &mut tracked,
            &std::collections::BTreeMap::new(),
            now,
        )
        .await?;
        tx.update_tracked(&tracked, now).await?;
        self.commit_audited(
            tx,
            tenant_audit(tenant, p, now, "shipment", s.id, "document_attached").after(&doc),
        )
        .await?;
        Ok(doc)
    }

    pub async fn list_documents(
        &self,
        p: &Principal,
        tenant: &Tenant,
        shipment: ShipmentId,
    ) -> AppResult<Vec<Document>> {
        let s = self.get_shipment(p, tenant, shipment).await?;
        Ok(self.store.documents(tenant.id, s.id).await?)
    }

    pub async fn document_bytes(
        &self,
        p: &Principal,
        tenant: &Tenant,
        shipment: ShipmentId,
        id: DocumentId,
    ) -> AppResult<(Document, Vec<u8>)> {
        let s = self.get_shipment(p, tenant, shipment).await?;
        let doc = match self.store.document(tenant.id, id).await? {
            Some(d) if d.shipment_id == s.id => d,
            _ => return Err(AppError::NotFound(format!("document {id}"))),
        };
        let bytes = tokio::fs::read(self.blob_path(&doc.sha256)).await?;
        Ok((doc, bytes))
    }
}
