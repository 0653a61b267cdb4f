//! Sign-in, token refresh, sign-out and `GET /me`.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ClientAddr};
use crate::auth::token::{digest, new_refresh_token, refresh_token_scope};
use crate::auth::{Principal, PrincipalKind, password};
use crate::domain::{Email, Role, Slug};
use crate::store::tenant::Tenant;
use crate::store::user::{Credentials, User};
use crate::store::{TenantId, refresh_token, tenant, user};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Sign-in with email and password. Tenant users give their tenant's slug; platform admins
/// leave it out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The tenant's slug, e.g. `acme`. Omit for platform admins.
    pub tenant: Option<String>,
    pub email: String,
    pub password: String,
}

/// A token pair.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use token for `POST /auth/refresh`. Keep it secret.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `api_key`.
    pub kind: String,
    pub id: Uuid,
    pub role: Role,
    /// The signed-in user (absent for API keys).
    pub user: Option<User>,
    /// The caller's tenant (absent for platform admins).
    pub tenant: Option<Tenant>,
}

#[utoipa::path(
    post, path = "/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse, description = "Signed in"),
        (status = 401, body = super::error::Problem, description = "Wrong email, password or tenant"),
        (status = 422, body = super::error::Problem, description = "Malformed email or tenant"),
        (status = 429, body = super::error::Problem, description = "Too many attempts"),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let mut v = Validator::default();
    let email = v.check("email", Email::parse(&body.email));
    let slug = match body.tenant.as_deref() {
        Some(t) => v.check("tenant", Slug::parse(t)).map(Some),
        None => Some(None),
    };
    let (Some(email), Some(slug)) = (email, slug) else {
        return Err(v.into_error());
    };
    v.finish()?;

    let account_key = format!(
        "{}/{}",
        slug.as_ref().map_or("", Slug::as_str),
        email.as_str()
    );
    let address_key = addr.map(|a| a.to_string()).unwrap_or_default();
    {
        let now = Instant::now();
        let mut limits = state
            .login_limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let refused = limits
            .per_address
            .check(now, &address_key)
            .and_then(|()| limits.per_account.check(now, &account_key));
        if let Err(wait) = refused {
            metrics::counter!("login_rate_limited_total").increment(1);
            tracing::warn!(account = %account_key, address = %address_key, "sign-in rate limited");
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        limits.per_address.hit(now, &address_key);
    }

    let found = find_credentials(&state, slug.as_ref(), &email).await?;
    let stored_hash = found.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |(_, c)| c.password_hash.clone(),
    );
    let candidate = body.password;
    let matches = tokio::task::spawn_blocking(move || password::verify(&candidate, &stored_hash))
        .await
        .map_err(ApiError::internal)?;
    let account = match found {
        Some((tenant, creds)) if matches && creds.status == "active" => (tenant, creds),
        other => {
            let reason = match other {
                None => "unknown account or tenant",
                Some(_) if !matches => "wrong password",
                Some(_) => "account disabled",
            };
            let mut limits = state
                .login_limits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            limits.per_account.hit(Instant::now(), &account_key);
            metrics::counter!("login_failures_total").increment(1);
            return Err(ApiError::unauthorized(format!(
                "sign-in refused for {account_key}: {reason}"
            )));
        }
    };
    state
        .login_limits
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .per_account
        .clear(&account_key);

    let (tenant, creds) = account;
    let role: Role = creds.role.parse().map_err(ApiError::internal)?;
    let tokens = start_session(&state, tenant, creds.id, role).await?;
    tracing::info!(user_id = %creds.id, tenant_id = ?tenant.map(|t| t.0), "signed in");
    Ok(axum::Json(tokens))
}

/// The account behind an email, in the tenant named by `slug` (or among platform admins).
/// A suspended tenant has no accounts as far as sign-in is concerned.
async fn find_credentials(
    state: &AppState,
    slug: Option<&Slug>,
    email: &Email,
) -> Result<Option<(Option<TenantId>, Credentials)>, ApiError> {
    let mut ptx = state.store.platform_tx().await?;
    match slug {
        None => {
            let creds = user::platform_credentials(&mut ptx, email.as_str()).await?;
            ptx.commit().await?;
            Ok(creds.map(|c| (None, c)))
        }
        Some(slug) => {
            let found = tenant::find_by_slug(&mut ptx, slug.as_str()).await?;
            ptx.commit().await?;
            let Some((tenant, status)) = found else {
                return Ok(None);
            };
            if status != "active" {
                return Ok(None);
            }
            let mut tx = state.store.tenant_tx(tenant).await?;
            let creds = user::credentials(&mut tx, tenant, email.as_str()).await?;
            tx.commit().await?;
            Ok(creds.map(|c| (Some(tenant), c)))
        }
    }
}

/// Issue the first token pair of a new session (refresh-token family).
async fn start_session(
    state: &AppState,
    tenant: Option<TenantId>,
    user_id: Uuid,
    role: Role,
) -> Result<TokenResponse, ApiError> {
    let family = crate::store::new_id();
    let mut conn = scoped_tx(state, tenant).await?;
    let tokens = issue_tokens(state, &mut conn, tenant, user_id, role, family).await?;
    user::record_login(&mut conn, user_id).await?;
    conn.commit().await?;
    Ok(tokens)
}

/// A transaction in the tenant's scope, or platform scope for platform admins.
async fn scoped_tx(
    state: &AppState,
    tenant: Option<TenantId>,
) -> Result<crate::store::Tx, ApiError> {
    Ok(match tenant {
        Some(t) => state.store.tenant_tx(t).await?,
        None => state.store.platform_tx().await?.0,
    })
}

async fn issue_tokens(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    tenant: Option<TenantId>,
    user_id: Uuid,
    role: Role,
    family: Uuid,
) -> Result<TokenResponse, ApiError> {
    let auth = &state.settings.auth;
    let now = Utc::now();
    let access_ttl = i64::try_from(auth.access_token_ttl_secs).unwrap_or(i64::MAX);
    let claims = state
        .jwt
        .claims(user_id, tenant, role, family, now.timestamp(), access_ttl);
    let access_token = state.jwt.sign(&claims).map_err(ApiError::internal)?;
    let refresh = new_refresh_token(tenant);
    let refresh_ttl =
        chrono::Duration::seconds(i64::try_from(auth.refresh_token_ttl_secs).unwrap_or(i64::MAX));
    refresh_token::insert(
        conn,
        tenant,
        user_id,
        family,
        &digest(&refresh),
        now + refresh_ttl,
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: auth.access_token_ttl_secs,
        refresh_token: refresh,
        refresh_expires_in: auth.refresh_token_ttl_secs,
    })
}

#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth", security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse, description = "A new token pair; the presented refresh token is spent"),
        (status = 401, body = super::error::Problem, description = "Unknown, expired, revoked or reused refresh token"),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let tenant = refresh_token_scope(&body.refresh_token)
        .ok_or_else(|| ApiError::unauthorized("malformed refresh token"))?;
    let mut tx = scoped_tx(&state, tenant).await?;
    let stored = refresh_token::find_for_update(&mut tx, tenant, &digest(&body.refresh_token))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown refresh token"))?;
    if stored.revoked_at.is_some() {
        return Err(ApiError::unauthorized("refresh token revoked"));
    }
    if stored.used_at.is_some() {
        // A spent token came back: someone kept a copy. End the whole session for everyone.
        let revoked = refresh_token::revoke_family(&mut tx, stored.family_id).await?;
        tx.commit().await?;
        metrics::counter!("refresh_token_reuse_total").increment(1);
        tracing::warn!(user_id = %stored.user_id, family = %stored.family_id, revoked, "refresh token reused; session revoked");
        return Err(ApiError::unauthorized("refresh token reused"));
    }
    if stored.expires_at <= Utc::now() {
        return Err(ApiError::unauthorized("refresh token expired"));
    }
    let creds = user::credentials_by_id(&mut tx, tenant, stored.user_id)
        .await?
        .filter(|c| c.status == "active")
        .ok_or_else(|| ApiError::unauthorized("user disabled or deleted"))?;
    if let Some(t) = tenant {
        let active = tenant::get(&mut tx, t)
            .await?
            .is_some_and(|t| t.status == "active");
        if !active {
            return Err(ApiError::unauthorized("tenant suspended"));
        }
    }
    let role: Role = creds.role.parse().map_err(ApiError::internal)?;
    refresh_token::mark_used(&mut tx, stored.id).await?;
    let tokens = issue_tokens(&state, &mut tx, tenant, creds.id, role, stored.family_id).await?;
    tx.commit().await?;
    Ok(axum::Json(tokens))
}

#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "The session's refresh tokens are revoked; access tokens expire on their own"),
        (status = 401, body = super::error::Problem),
    )
)]
async fn logout(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    let Some(family) = principal.session else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let mut tx = scoped_tx(&state, principal.tenant).await?;
    refresh_token::revoke_family(&mut tx, family).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = super::error::Problem))
)]
async fn me(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Me>, ApiError> {
    let (user, tenant) = match principal.tenant {
        Some(t) => {
            let mut tx = state.store.tenant_tx(t).await?;
            let user = match principal.kind {
                PrincipalKind::User => Some(
                    user::get(&mut tx, t, principal.id)
                        .await?
                        .ok_or(ApiError::NotFound)?,
                ),
                PrincipalKind::ApiKey => None,
            };
            let tenant = tenant::get(&mut tx, t).await?;
            tx.commit().await?;
            (user, tenant)
        }
        None => {
            let mut ptx = state.store.platform_tx().await?;
            let user = user::get_platform_admin(&mut ptx, principal.id)
                .await?
                .ok_or(ApiError::NotFound)?;
            ptx.commit().await?;
            (Some(user), None)
        }
    };
    Ok(axum::Json(Me {
        kind: principal.actor_kind().to_owned(),
        id: principal.id,
        role: principal.role,
        user,
        tenant,
    }))
}
