//! A call's record: closing it, and closing those a crash of this node left open.

use uuid::Uuid;

use crate::store::call::{self, CallEnd};
use crate::store::{Store, TenantId};

pub(super) async fn close_record(store: &Store, tenant: TenantId, id: Uuid, end: &CallEnd<'_>) {
    let result = async {
        let mut db = store.tenant_tx(tenant).await?;
        call::close(&mut db, tenant, id, end).await?;
        db.commit().await
    }
    .await;
    if let Err(e) = result {
        // The record stays open and is closed as `crashed` at the next start.
        tracing::error!(error = %e, call_id = %id, "closing a call record failed");
    }
}

/// Close the records this node left open when it stopped uncleanly (`crashed`).
pub(super) async fn close_orphans(store: &Store, node: &str) -> anyhow::Result<()> {
    let mut ptx = store.platform_tx().await?;
    let closed = call::close_orphans(&mut ptx, node).await?;
    ptx.commit().await?;
    if closed > 0 {
        tracing::warn!(closed, "closed call records left open by an unclean stop");
    }
    Ok(())
}
