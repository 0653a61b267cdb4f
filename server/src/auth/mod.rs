//! Authentication and authorisation: argon2id passwords, HS256 access tokens, rotating refresh
//! tokens, API keys, sign-in rate limits and the [`Principal`] every request acts as.

pub mod password;
pub mod rate_limit;
pub mod token;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::domain::Role;
use crate::store::TenantId;

pub use token::{Claims, JwtKeys};

/// Whether a request comes from a person or an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    ApiKey,
}

/// Who a request acts as: established from a verified access token or API key, never from a
/// request body.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The user's or the API key's id.
    pub id: Uuid,
    /// `None` only for platform admins.
    pub tenant: Option<TenantId>,
    pub role: Role,
    /// The sign-in session (refresh-token family) of a user's token.
    pub session: Option<Uuid>,
}

/// The signing key of access tokens: from the settings, or generated once and kept in
/// `data_dir/jwt-secret` (mode 0600) so tokens survive a restart.
pub fn load_jwt_secret(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> std::io::Result<Vec<u8>> {
    if let Some(secret) = configured {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    let path = data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(s) => STANDARD
            .decode(s.trim())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let secret: [u8; 32] = rand::random();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            writeln!(file, "{}", STANDARD.encode(secret))?;
            tracing::info!(path = %path.display(), "generated a new access-token signing key");
            Ok(secret.to_vec())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_and_reused() {
        let dir = std::env::temp_dir().join(format!("sb-key-{}", Uuid::now_v7()));
        let a = load_jwt_secret(None, &dir).expect("generate");
        let b = load_jwt_secret(None, &dir).expect("reload");
        assert_eq!(a.len(), 32);
        assert_eq!(a, b);
        let configured = SecretString::from("configured secret");
        assert_eq!(
            load_jwt_secret(Some(&configured), &dir).expect("configured"),
            b"configured secret"
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
