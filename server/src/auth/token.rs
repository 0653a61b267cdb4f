//! Access tokens (JWT, HS256 pinned) and the opaque secrets of refresh tokens and API keys.
//!
//! Opaque secrets carry the tenant they belong to in clear, so the lookup runs inside that
//! tenant's row-level-security scope; the secret part is 256 random bits, stored only as a
//! SHA-256 hash (a slow hash adds nothing to a secret of that entropy).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::Role;
use crate::store::TenantId;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: Uuid,
    /// The user's tenant; absent for platform admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<Uuid>,
    pub role: Role,
    /// The refresh-token family (the sign-in session) this token was issued in.
    pub sid: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Why an access token was refused. Logged; the client only ever sees 401.
#[derive(Debug, thiserror::Error)]
#[error("access token refused: {0}")]
pub struct TokenRejected(#[from] jsonwebtoken::errors::Error);

/// Signs and checks access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> JwtKeys {
        // One algorithm, pinned: a token whose header says `none`, RS256 or anything else is
        // refused before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// Claims for a new token issued at `now` (unix seconds), valid for `ttl` seconds.
    pub fn claims(
        &self,
        sub: Uuid,
        tenant: Option<TenantId>,
        role: Role,
        sid: Uuid,
        now: i64,
        ttl: i64,
    ) -> Claims {
        Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            tid: tenant.map(|t| t.0),
            role,
            sid,
            iat: now,
            nbf: now,
            exp: now + ttl,
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenRejected> {
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims)
    }
}

const REFRESH_PREFIX: &str = "sbr_";
const API_KEY_PREFIX: &str = "sbk_";
const PLATFORM: &str = "platform";

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of an opaque token, as stored.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new refresh token for a user of `tenant` (`None`: a platform admin).
pub fn new_refresh_token(tenant: Option<TenantId>) -> String {
    let scope = tenant.map_or_else(|| PLATFORM.to_owned(), |t| t.0.simple().to_string());
    format!("{REFRESH_PREFIX}{scope}.{}", random_secret())
}

/// The tenant scope a refresh token claims. `None` if it is not one of ours; `Some(None)` for a
/// platform admin's token. The claim is only a lookup hint: the hash must match a stored token.
pub fn refresh_token_scope(token: &str) -> Option<Option<TenantId>> {
    let (scope, secret) = token.strip_prefix(REFRESH_PREFIX)?.split_once('.')?;
    if secret.len() != 43 {
        return None;
    }
    if scope == PLATFORM {
        Some(None)
    } else {
        Uuid::try_parse(scope).ok().map(|u| Some(TenantId(u)))
    }
}

/// A new API key: `sbk_<tenant>.<key id>.<secret>`.
pub fn new_api_key(tenant: TenantId, id: Uuid) -> String {
    format!(
        "{API_KEY_PREFIX}{}.{}.{}",
        tenant.0.simple(),
        id.simple(),
        random_secret()
    )
}

/// Whether a bearer credential looks like an API key rather than a JWT.
pub fn is_api_key(token: &str) -> bool {
    token.starts_with(API_KEY_PREFIX)
}

/// The tenant and key id an API key names, if it is well formed.
pub fn api_key_parts(token: &str) -> Option<(TenantId, Uuid)> {
    let mut parts = token.strip_prefix(API_KEY_PREFIX)?.split('.');
    let tenant = Uuid::try_parse(parts.next()?).ok()?;
    let id = Uuid::try_parse(parts.next()?).ok()?;
    let secret = parts.next()?;
    (secret.len() == 43 && parts.next().is_none()).then_some((TenantId(tenant), id))
}

/// Constant-time comparison of two digests.
pub fn digests_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            "switchboard",
            "switchboard-api",
        )
    }

    #[test]
    fn a_signed_token_verifies_and_keeps_its_claims() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let c = k.claims(
            Uuid::now_v7(),
            Some(TenantId(Uuid::now_v7())),
            Role::Agent,
            Uuid::now_v7(),
            now,
            60,
        );
        let t = k.sign(&c).expect("sign");
        assert_eq!(k.verify(&t).expect("verify"), c);
    }

    #[test]
    fn a_token_from_another_key_or_audience_is_refused() {
        let now = chrono::Utc::now().timestamp();
        let k = keys();
        let other = JwtKeys::new(
            b"another key of thirty-two bytes!",
            "switchboard",
            "switchboard-api",
        );
        let c = other.claims(
            Uuid::now_v7(),
            None,
            Role::PlatformAdmin,
            Uuid::now_v7(),
            now,
            60,
        );
        assert!(k.verify(&other.sign(&c).expect("sign")).is_err());
        let wrong_aud = JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            "switchboard",
            "other-api",
        );
        let c = wrong_aud.claims(
            Uuid::now_v7(),
            None,
            Role::PlatformAdmin,
            Uuid::now_v7(),
            now,
            60,
        );
        assert!(k.verify(&wrong_aud.sign(&c).expect("sign")).is_err());
    }

    #[test]
    fn opaque_tokens_name_their_scope() {
        let t = TenantId(Uuid::now_v7());
        let r = new_refresh_token(Some(t));
        assert_eq!(refresh_token_scope(&r), Some(Some(t)));
        assert_eq!(refresh_token_scope(&new_refresh_token(None)), Some(None));
        assert_eq!(refresh_token_scope("sbr_platform.short"), None);
        assert_eq!(refresh_token_scope("eyJhbGciOi"), None);
        let id = Uuid::now_v7();
        let k = new_api_key(t, id);
        assert!(is_api_key(&k));
        assert_eq!(api_key_parts(&k), Some((t, id)));
        assert_eq!(api_key_parts(&format!("{k}.extra")), None);
        assert_ne!(digest(&k), digest(&new_api_key(t, id)));
    }

    #[test]
    fn digests_compare_by_content() {
        assert!(digests_equal(&digest("a"), &digest("a")));
        assert!(!digests_equal(&digest("a"), &digest("b")));
        assert!(!digests_equal(b"a", b"ab"));
    }
}
