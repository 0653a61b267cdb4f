//! Carriers that identify by credentials (RFC 3261 22.3): an INVITE from an unknown source is
//! challenged with 407 and admitted when its `Proxy-Authorization` is right.

use rsipstack::sip::prelude::HeadersExt;

use super::digest::{self, NonceKey};
use super::numbers::{NumberTable, TrunkEntry};

/// The outcome of checking an INVITE's credentials.
pub enum Auth<'a> {
    Trunk(&'a TrunkEntry),
    /// No (or stale) credentials: challenge with this `Proxy-Authenticate` value.
    Challenge(String),
    Refused,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 3261 22.3: a proxy challenges with 407 and checks Proxy-Authorization.
pub fn authenticate<'a>(
    realm: &str,
    nonces: &NonceKey,
    table: &'a NumberTable,
    req: &rsipstack::sip::Request,
) -> Auth<'a> {
    let now = unix_now();
    let challenge = || {
        Auth::Challenge(format!(
            "Digest realm=\"{realm}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"",
            nonces.issue(now)
        ))
    };
    let Some(params) = req
        .header_value("Proxy-Authorization")
        .and_then(|v| digest::parse_credentials(&v))
    else {
        return challenge();
    };
    if params.get("realm").map(String::as_str) != Some(realm)
        || !params.get("nonce").is_some_and(|n| nonces.valid(n, now))
    {
        return challenge();
    }
    let trunk = params
        .get("username")
        .and_then(|u| table.trunk_by_username(u));
    // An unknown user is checked against a dummy hash, so both cases cost the same.
    let ha1 = trunk
        .and_then(|t| t.inbound_ha1.as_deref())
        .unwrap_or("00000000000000000000000000000000");
    match (digest::verify(&params, "INVITE", ha1), trunk) {
        (true, Some(t)) => Auth::Trunk(t),
        _ => Auth::Refused,
    }
}
