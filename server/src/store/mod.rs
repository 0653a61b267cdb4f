//! The store: every query Switchboard makes, as small named functions over PostgreSQL.
//!
//! Tenant isolation has two walls. (1) Every function on tenant data takes the tenant
//! explicitly (from the authenticated principal, never from a request body) and filters by it.
//! (2) The connection runs as `switchboard_app`, which owns no table, inside a transaction that
//! has set `app.tenant_id`: row-level security then hides every other tenant's rows, and with no
//! tenant set it hides all of them.
//!
//! Platform-admin work that crosses tenants uses [`Store::platform_tx`], the one place that
//! sets `app.platform`; the handlers that use it write an audit entry in the same transaction.

pub mod api_key;
pub mod audit;
pub mod blocked_number;
pub mod call;
pub mod contact;
pub mod desk;
pub mod document;
pub mod embedded;
pub mod phone_number;
pub mod prompt;
pub mod queue;
pub mod queue_event;
pub mod refresh_token;
pub mod tenant;
pub mod trunk;
pub mod user;

use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use uuid::Uuid;

pub use embedded::{EmbeddedError, EmbeddedPostgres};

use crate::settings::DatabaseSettings;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The role the application runs as. It owns nothing, so row-level security applies to it.
pub const APP_ROLE: &str = "switchboard_app";

/// A tenant's id. Store functions take it explicitly; it comes from the authenticated
/// principal or, for calls, from the number dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A transaction with the tenant set for row-level security.
pub type Tx = Transaction<'static, Postgres>;

/// A transaction in platform scope (crosses tenants). Only the platform paths get one.
pub struct PlatformTx(pub(crate) Tx);

impl PlatformTx {
    pub fn conn(&mut self) -> &mut sqlx::PgConnection {
        &mut self.0
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.0.commit().await
    }

    /// Also enter `tenant`'s scope for the rest of the transaction, for rows whose policies
    /// admit only their tenant (contacts): provisioning a tenant and its data in one transaction.
    pub async fn enter_tenant(&mut self, tenant: TenantId) -> Result<(), sqlx::Error> {
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(tenant.0.to_string())
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }
}

/// Where the database is and how to reach it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL in the settings does not parse.
    #[error("invalid database URL: {0}")]
    BadUrl(sqlx::Error),
    /// The embedded cluster could not start.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// Connecting or migrating failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The database Switchboard uses: the server from the settings or an embedded cluster.
pub struct Database {
    /// Connection options of the schema owner (migrations).
    pub owner: PgConnectOptions,
    /// Options for the application's own connections, if they log in as their own role.
    pub app: Option<PgConnectOptions>,
    /// The embedded cluster, when no URL was given. Stopped when dropped.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Resolve the settings: use `url` if set, else start the embedded cluster under
    /// `data_dir/postgres` (blocking; call from a blocking context).
    pub fn locate(
        settings: &DatabaseSettings,
        data_dir: &std::path::Path,
    ) -> Result<Database, DbError> {
        let parse = |s: &SecretString| {
            PgConnectOptions::from_str(s.expose_secret()).map_err(DbError::BadUrl)
        };
        let app = settings.app_url.as_ref().map(parse).transpose()?;
        match &settings.url {
            Some(url) => Ok(Database {
                owner: parse(url)?,
                app,
                embedded: None,
            }),
            None => {
                let pg = EmbeddedPostgres::start(&data_dir.join("postgres"))?;
                Ok(Database {
                    owner: pg.connect_options(),
                    app,
                    embedded: Some(pg),
                })
            }
        }
    }

    /// Apply pending migrations as the schema owner.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.owner.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        pool.close().await;
        Ok(())
    }

    /// The application's pool: its own login if configured, else the owner's login switched to
    /// `switchboard_app` on every new connection.
    pub async fn app_pool(&self, max_connections: u32) -> Result<PgPool, DbError> {
        let options = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5));
        let pool = match &self.app {
            Some(app) => options.connect_with(app.clone()).await?,
            None => {
                options
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("set role switchboard_app").await?;
                            Ok(())
                        })
                    })
                    .connect_with(self.owner.clone())
                    .await?
            }
        };
        Ok(pool)
    }
}

/// The application's handle on the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    pub fn new(pool: PgPool) -> Store {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begin a transaction in `tenant`'s scope: row-level security shows only its rows.
    #[tracing::instrument(level = "trace", skip(self))]
    pub async fn tenant_tx(&self, tenant: TenantId) -> Result<Tx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // `set_config(.., true)` is transaction-local and, unlike SET, can take a parameter.
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(tenant.0.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Begin a platform-scope transaction that may cross tenants. Callers are the platform
    /// admin's routes and the pre-authentication lookups of sign-in; writes are audited.
    pub async fn platform_tx(&self) -> Result<PlatformTx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("select set_config('app.platform', 'on', true)")
            .execute(&mut *tx)
            .await?;
        Ok(PlatformTx(tx))
    }

    /// Whether the database answers and every embedded migration has been applied.
    pub async fn ready(&self) -> Result<bool, sqlx::Error> {
        let applied: Vec<i64> = sqlx::query_scalar(
            "select version from _sqlx_migrations where success order by version",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .all(|m| applied.binary_search(&m.version).is_ok()))
    }
}

/// Keyset pagination: items ordered by id (UUIDv7, so by creation time), `limit` per page,
/// starting after `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }

    /// Cut the extra row off and return the id to continue after, if there is more.
    pub fn finish<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<Uuid>) {
        // limit is validated to be positive by the API layer before a PageRequest exists.
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if rows.len() > limit {
            rows.truncate(limit);
            let next = rows.last().map(&id);
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

/// A new id: UUIDv7, ordered by creation time, so keyset pagination by id is by age.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Whether an error is a unique violation of the named constraint or index.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() && db.constraint() == Some(constraint)
        }
        _ => false,
    }
}
