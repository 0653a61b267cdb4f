//! Typed settings: defaults, then an optional TOML file, then `SWITCHBOARD_*` environment
//! variables (nested keys joined with `__`, e.g. `SWITCHBOARD_HTTP__LISTEN`). `DATABASE_URL`
//! is honoured as the conventional alias of `SWITCHBOARD_DATABASE__URL`.
//!
//! Secrets are [`SecretString`]s: they never appear in `Debug` output or logs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Everything Switchboard can be configured with.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Directory for the embedded database, the generated signing key and, later, recordings.
    pub data_dir: PathBuf,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub sip: SipSettings,
    pub media: MediaSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// The one UDP address all browsers' WebRTC media uses (ICE-lite, DTLS-SRTP).
    pub webrtc_listen: SocketAddr,
    /// Addresses announced to browsers as ICE candidates, when they reach this node at another
    /// address than it listens on (a 1:1 NAT, a load balancer, a Kubernetes node port). Each
    /// is `ip` (the listen port is used) or `ip:port`. Default: the listen address, or the
    /// SIP public address when listening on all interfaces.
    pub webrtc_public: Vec<String>,
    /// Where recordings are stored (a directory per tenant). Default: `<data_dir>/recordings`.
    pub recordings_dir: Option<PathBuf>,
    /// Record calls bridged to agents.
    pub record_calls: bool,
    /// How long a call for an agent rings before it is given up (480).
    pub agent_ring_secs: u64,
    /// How long an agent's desk may stay disconnected (a reload, a network change) before
    /// the router makes them not ready ("disconnected"). A call already bridged stays.
    pub desk_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SipSettings {
    /// Run the SIP edge (trunks, calls).
    pub enabled: bool,
    /// UDP and TCP address for SIP (RFC 3261 default port 5060).
    pub listen: SocketAddr,
    /// TLS address (5061), used when a certificate and key are set.
    pub tls_listen: SocketAddr,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The address carriers reach us at, written in SDP and Contact. Default: the listen
    /// address, or the first non-loopback interface when listening on all of them.
    pub public_ip: Option<std::net::IpAddr>,
    /// Digest realm for carriers that authenticate to us.
    pub realm: String,
    /// First and last UDP port for RTP (even ports; RTCP on the odd one above).
    pub rtp_port_min: u16,
    pub rtp_port_max: u16,
    /// Calls are hung up after this many seconds (a stuck call must not run forever).
    pub max_call_secs: u64,
    /// A connected call whose far end sends neither RTP nor RTCP for this many seconds is
    /// hung up (its BYE was lost); a call on hold is exempt. 0 turns it off.
    pub media_timeout_secs: u64,
    /// RFC 4028 session timer: the interval we ask for (`Session-Expires`); a call not
    /// refreshed within it is hung up. 0 turns session timers off.
    pub session_expires_secs: u64,
    /// RFC 4028 `Min-SE`: the shortest interval we accept (a shorter one gets 422). The RFC
    /// says no less than 90; tests lower it.
    pub min_session_expires_secs: u64,
    /// How long built-in services ring (180 Ringing) before they answer; 0 answers at once.
    pub answer_delay_ms: u64,
    /// This node's name on call records, so its open records can be closed after a crash.
    pub node: String,
    /// Requests accepted per source address per second before it is throttled.
    pub requests_per_source_per_sec: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Address the HTTP API listens on. Port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// The agent desktop's bundle (`scripts/build-web` writes `web/dist`), served at `/`.
    pub web_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// PostgreSQL URL used for migrations (the schema owner). Without it Switchboard runs an
    /// embedded PostgreSQL under `data_dir/postgres`.
    #[serde(default, skip_serializing)]
    pub url: Option<SecretString>,
    /// Optional separate URL for the application's own connections, logging in as a role that
    /// is a member of `switchboard_app`. Without it the pool connects with `url` and switches to
    /// `switchboard_app` with `SET ROLE` on each new connection.
    #[serde(default, skip_serializing)]
    pub app_url: Option<SecretString>,
    /// Size of the application's connection pool.
    pub max_connections: u32,
    /// Run pending migrations when the server starts.
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HMAC key for access tokens (HS256). Without it a random key is generated once and kept in
    /// `data_dir/jwt-secret`. Set it explicitly when running several nodes.
    #[serde(default, skip_serializing)]
    pub jwt_secret: Option<SecretString>,
    /// `iss` claim written and required.
    pub issuer: String,
    /// `aud` claim written and required.
    pub audience: String,
    /// Lifetime of an access token, seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token, seconds.
    pub refresh_token_ttl_secs: u64,
    /// Failed logins allowed per account within `login_window_secs`.
    pub login_failures_per_account: u32,
    /// Login attempts allowed per source address within `login_window_secs`.
    pub login_attempts_per_address: u32,
    /// Window of the login limits, seconds.
    pub login_window_secs: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `human` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info,switchboard=debug`. `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./data"),
            http: HttpSettings {
                listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
                body_limit_bytes: 1024 * 1024,
                trust_forwarded_for: false,
                web_dir: PathBuf::from("web/dist"),
            },
            database: DatabaseSettings {
                url: None,
                app_url: None,
                max_connections: 20,
                migrate_on_start: true,
            },
            auth: AuthSettings {
                jwt_secret: None,
                issuer: "switchboard".into(),
                audience: "switchboard-api".into(),
                access_token_ttl_secs: 15 * 60,
                refresh_token_ttl_secs: 30 * 24 * 3600,
                login_failures_per_account: 5,
                login_attempts_per_address: 30,
                login_window_secs: 300,
            },
            sip: SipSettings {
                enabled: true,
                listen: SocketAddr::from(([0, 0, 0, 0], 5060)),
                tls_listen: SocketAddr::from(([0, 0, 0, 0], 5061)),
                tls_cert: None,
                tls_key: None,
                public_ip: None,
                realm: "switchboard".into(),
                rtp_port_min: 20000,
                rtp_port_max: 29999,
                max_call_secs: 4 * 3600,
                // rtpengine's default `timeout`.
                media_timeout_secs: 60,
                // RFC 4028 section 4 recommends 1800 s.
                session_expires_secs: 1800,
                min_session_expires_secs: 90,
                answer_delay_ms: 0,
                node: "node-1".into(),
                requests_per_source_per_sec: 50,
            },
            media: MediaSettings {
                webrtc_listen: SocketAddr::from(([0, 0, 0, 0], 3478)),
                webrtc_public: Vec::new(),
                recordings_dir: None,
                record_calls: true,
                agent_ring_secs: 30,
                desk_grace_secs: 30,
            },
            log: LogSettings {
                format: LogFormat::Human,
                // rsipstack logs every SIP message in full at info.
                filter: "info,rsipstack=warn".into(),
            },
        }
    }
}

/// Settings could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(#[from] Box<figment::Error>);

impl Settings {
    /// Defaults, then `file` (if given; it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
            // SWITCHBOARD_CONFIG names the file itself (the command line reads it).
            .merge(
                Env::prefixed("SWITCHBOARD_")
                    .ignore(&["config"])
                    .split("__"),
            );
        figment.extract().map_err(|e| SettingsError(Box::new(e)))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error.
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn environment_overrides_defaults_and_secrets_stay_out_of_debug() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SWITCHBOARD_HTTP__LISTEN", "127.0.0.1:9000");
            jail.set_env("DATABASE_URL", "postgres://u:hunter2@db/x");
            jail.set_env("SWITCHBOARD_AUTH__JWT_SECRET", "very-secret-key");
            jail.set_env("SWITCHBOARD_CONFIG", "ignored.toml");
            let settings = Settings::load(None).expect("settings load");
            assert_eq!(settings.http.listen.port(), 9000);
            let url = settings.database.url.as_ref().expect("url set");
            assert_eq!(url.expose_secret(), "postgres://u:hunter2@db/x");
            let debug = format!("{settings:?}");
            assert!(!debug.contains("hunter2"), "{debug}");
            assert!(!debug.contains("very-secret-key"), "{debug}");
            Ok(())
        });
    }

    #[test]
    fn a_settings_file_is_read_and_unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("ok.toml", "[log]\nformat = \"json\"\n")?;
            let settings = Settings::load(Some(Path::new("ok.toml"))).expect("settings load");
            assert_eq!(settings.log.format, LogFormat::Json);
            jail.create_file("bad.toml", "[http]\nlisten_typo = 1\n")?;
            assert!(Settings::load(Some(Path::new("bad.toml"))).is_err());
            Ok(())
        });
    }
}
