//! Prompts a tenant uploaded to replace the defaults.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::TenantId;

/// A tenant's prompt, without its audio.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromptInfo {
    pub name: String,
    pub duration_ms: i32,
    pub updated_at: DateTime<Utc>,
}

pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<PromptInfo>, sqlx::Error> {
    sqlx::query_as!(
        PromptInfo,
        "select name, duration_ms, updated_at from prompt where tenant_id = $1 order by name",
        tenant.0
    )
    .fetch_all(conn)
    .await
}

/// The uploaded WAV file of a prompt.
pub async fn audio(
    conn: &mut PgConnection,
    tenant: TenantId,
    name: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar!(
        "select audio from prompt where tenant_id = $1 and name = $2",
        tenant.0,
        name
    )
    .fetch_optional(conn)
    .await
}

pub async fn upsert(
    conn: &mut PgConnection,
    tenant: TenantId,
    name: &str,
    audio: &[u8],
    duration_ms: i32,
) -> Result<PromptInfo, sqlx::Error> {
    sqlx::query_as!(
        PromptInfo,
        "insert into prompt (tenant_id, name, audio, duration_ms) values ($1, $2, $3, $4)
         on conflict (tenant_id, name) do update set audio = excluded.audio, duration_ms = excluded.duration_ms,
                                                    updated_at = now()
         returning name, duration_ms, updated_at",
        tenant.0,
        name,
        audio,
        duration_ms
    )
    .fetch_one(conn)
    .await
}

pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from prompt where tenant_id = $1 and name = $2",
        tenant.0,
        name
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
