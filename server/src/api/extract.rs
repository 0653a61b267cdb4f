//! Extractors whose rejections are [`ApiError`]s, so malformed input gets the same
//! problem+json answer as invalid input, naming the field; and the [`Principal`] extractor.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, FieldError};
use crate::auth::token::{self, api_key_parts, digest, digests_equal};
use crate::auth::{Principal, PrincipalKind};
use crate::domain::Role;
use crate::store::{TenantId, api_key};

/// A JSON body: `application/json` required, size limited, unknown fields refused where the type
/// says so, and every deserialisation error reported with the path of the offending field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_) => ApiError::PayloadTooLarge,
            other => ApiError::BadRequest {
                code: "bad_body",
                detail: other.body_text(),
            },
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserialize JSON, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                ApiError::field(&field_of(&path, &message), message)
            }
            _ => ApiError::BadRequest {
                code: "malformed_json",
                detail: format!("the body is not valid JSON: {inner}"),
            },
        }
    })
}

/// The field an error is about. serde reports missing and unknown fields at the enclosing
/// object, naming the field only in the message (``missing field `name` ``).
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".to_owned(),
        (path, Some(name)) if !path.ends_with(name) => format!("{path}.{name}"),
        (path, _) => path.to_owned(),
    }
}

/// serde_json appends " at line 1 column 27"; the field path says more.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Query parameters, with the failing parameter named.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                let field = if field == "." {
                    "query".to_owned()
                } else {
                    field
                };
                ApiError::BadParameter(FieldError::new(field, e.into_inner().to_string()))
            })
    }
}

/// Path parameters; a malformed one (e.g. a bad UUID) is a 400 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let (field, message) = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => (
                        key.clone(),
                        format!("must be a valid {}", friendly(expected_type)),
                    ),
                    ErrorKind::DeserializeError { key, message, .. } => {
                        (key.clone(), format!("is invalid: {message}"))
                    }
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        (key.clone(), "must be valid UTF-8".into())
                    }
                    other => ("path".into(), other.to_string()),
                };
                Err(ApiError::BadParameter(FieldError::new(field, message)))
            }
            Err(other) => Err(ApiError::internal(std::io::Error::other(other.body_text()))),
        }
    }
}

fn friendly(type_name: &str) -> &str {
    if type_name.ends_with("Uuid") {
        "UUID"
    } else {
        type_name
    }
}

/// For `Option<Option<T>>` fields of PATCH bodies: tells "absent" (outer `None`, with
/// `#[serde(default)]`) from "null" (`Some(None)`, which clears the field).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize as _;
    Option::<T>::deserialize(d).map(Some)
}

/// `{ id }` in a path.
#[derive(Debug, serde::Deserialize)]
pub struct IdPath {
    pub id: Uuid,
}

/// The client's address: the socket's peer, or the first `X-Forwarded-For` hop when the settings
/// say a trusted proxy sets it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.settings.http.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Ok(ClientAddr(Some(ip)));
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("no Authorization header"))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("Authorization header is not ASCII"))?;
        let credential = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("Authorization is not a Bearer credential"))?;
        if token::is_api_key(credential) {
            return api_key_principal(state, credential).await;
        }
        let claims = state
            .jwt
            .verify(credential)
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        if (claims.role == Role::PlatformAdmin) != claims.tid.is_none() {
            return Err(ApiError::unauthorized("token role and tenant disagree"));
        }
        Ok(Principal {
            kind: PrincipalKind::User,
            id: claims.sub,
            tenant: claims.tid.map(TenantId),
            role: claims.role,
            session: Some(claims.sid),
        })
    }
}

async fn api_key_principal(state: &AppState, credential: &str) -> Result<Principal, ApiError> {
    let (tenant, id) =
        api_key_parts(credential).ok_or_else(|| ApiError::unauthorized("malformed API key"))?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let key = api_key::for_auth(&mut tx, tenant, id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
    if !digests_equal(&key.key_hash, &digest(credential)) {
        return Err(ApiError::unauthorized("API key secret does not match"));
    }
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthorized("API key revoked"));
    }
    let role: Role = key
        .role
        .parse()
        .map_err(|_| ApiError::unauthorized("API key has an unknown role"))?;
    api_key::touch(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(Principal {
        kind: PrincipalKind::ApiKey,
        id,
        tenant: Some(tenant),
        role,
        session: None,
    })
}

impl Principal {
    /// The principal's tenant; platform admins act on tenants only through platform routes.
    pub fn tenant(&self) -> Result<TenantId, ApiError> {
        self.tenant.ok_or(ApiError::Forbidden)
    }

    /// Refuse unless the principal's role is at least `role` (within its tenant).
    pub fn require(&self, role: Role) -> Result<TenantId, ApiError> {
        let tenant = self.tenant()?;
        if self.role.at_least(role) {
            Ok(tenant)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Refuse unless the principal is a platform admin.
    pub fn require_platform_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::PlatformAdmin
            && self.tenant.is_none()
            && self.kind == PrincipalKind::User
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// How the audit log names this principal.
    pub fn actor_kind(&self) -> &'static str {
        match self.kind {
            PrincipalKind::User => "user",
            PrincipalKind::ApiKey => "api_key",
        }
    }
}
