//! Digest authentication of carriers that identify by credentials rather than by address
//! (RFC 3261 22, RFC 2617 3.2.2). The nonce is stateless: a timestamp and a keyed hash of it,
//! valid for five minutes, so any request can be checked without a session table.

use std::collections::HashMap;

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::auth::token::digests_equal;

/// How long a nonce is accepted.
pub const NONCE_LIFETIME_SECS: u64 = 300;

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `MD5(username:realm:password)` in hex: what digest authentication checks against (RFC 2617
/// 3.2.2.2), stored for a trunk instead of its password.
pub fn digest_ha1(username: &str, realm: &str, password: &str) -> String {
    md5_hex(&format!("{username}:{realm}:{password}"))
}

/// The parameters of a `Digest` credentials header (`username="..", nonce="..", ...`).
pub fn parse_credentials(value: &str) -> Option<HashMap<String, String>> {
    let rest = value.trim().strip_prefix("Digest")?.trim_start();
    let mut params = HashMap::new();
    let mut chars = rest.char_indices().peekable();
    let bytes = rest;
    while let Some(&(start, _)) = chars.peek() {
        // name
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' {
                end = i;
                break;
            }
            chars.next();
            end = i + c.len_utf8();
        }
        let name = bytes.get(start..end)?.trim().to_ascii_lowercase();
        chars.next()?; // '='
        // value, quoted or token
        let value = if chars.peek().is_some_and(|&(_, c)| c == '"') {
            chars.next();
            let mut v = String::new();
            loop {
                let (_, c) = chars.next()?;
                match c {
                    '"' => break,
                    '\\' => v.push(chars.next()?.1),
                    c => v.push(c),
                }
            }
            v
        } else {
            let mut v = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c == ',' {
                    break;
                }
                v.push(c);
                chars.next();
            }
            v.trim().to_owned()
        };
        params.insert(name, value);
        // separator
        while chars
            .peek()
            .is_some_and(|&(_, c)| c == ',' || c.is_whitespace())
        {
            chars.next();
        }
    }
    Some(params)
}

/// Issues and checks nonces with a per-process key.
pub struct NonceKey([u8; 32]);

impl NonceKey {
    pub fn new(key: [u8; 32]) -> NonceKey {
        NonceKey(key)
    }

    fn tag(&self, stamp: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(stamp.to_be_bytes());
        h.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A nonce for a challenge sent at `now` (unix seconds).
    pub fn issue(&self, now: u64) -> String {
        format!("{now:x}.{}", self.tag(now))
    }

    /// Whether `nonce` is one of ours and not older than [`NONCE_LIFETIME_SECS`].
    pub fn valid(&self, nonce: &str, now: u64) -> bool {
        let Some((stamp, tag)) = nonce.split_once('.') else {
            return false;
        };
        let Ok(stamp) = u64::from_str_radix(stamp, 16) else {
            return false;
        };
        stamp <= now
            && now - stamp <= NONCE_LIFETIME_SECS
            && digests_equal(tag.as_bytes(), self.tag(stamp).as_bytes())
    }
}

/// Whether the credentials answer the challenge for `method` given the stored `ha1`
/// (`MD5(username:realm:password)`), with or without `qop=auth`.
pub fn verify(params: &HashMap<String, String>, method: &str, ha1: &str) -> bool {
    let (Some(nonce), Some(uri), Some(response)) = (
        params.get("nonce"),
        params.get("uri"),
        params.get("response"),
    ) else {
        return false;
    };
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let expected = match params.get("qop").map(String::as_str) {
        Some("auth") => {
            let (Some(nc), Some(cnonce)) = (params.get("nc"), params.get("cnonce")) else {
                return false;
            };
            md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
        }
        None => md5_hex(&format!("{ha1}:{nonce}:{ha2}")),
        Some(_) => return false,
    };
    digests_equal(
        expected.as_bytes(),
        response.to_ascii_lowercase().as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_example_verifies() {
        // RFC 2617 3.5, with method GET and qop=auth.
        let header = r#"Digest username="Mufasa", realm="testrealm@host.com",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth,
            nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1",
            opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let params = parse_credentials(header).expect("parse");
        assert_eq!(params["username"], "Mufasa");
        assert_eq!(params["nc"], "00000001");
        let ha1 = digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        assert!(verify(&params, "GET", &ha1));
        assert!(!verify(&params, "POST", &ha1));
        assert!(!verify(
            &params,
            "GET",
            &digest_ha1("Mufasa", "testrealm@host.com", "wrong")
        ));
    }

    #[test]
    fn nonces_expire_and_cannot_be_forged() {
        let key = NonceKey::new([7; 32]);
        let nonce = key.issue(1_000_000);
        assert!(key.valid(&nonce, 1_000_100));
        assert!(!key.valid(&nonce, 1_000_000 + NONCE_LIFETIME_SECS + 1));
        assert!(!NonceKey::new([8; 32]).valid(&nonce, 1_000_100));
        assert!(!key.valid("f4240.000000000000000000000000", 1_000_100));
        assert!(!key.valid("garbage", 1_000_100));
    }

    #[test]
    fn malformed_headers_are_refused() {
        assert!(parse_credentials("Basic abc").is_none());
        assert!(parse_credentials("Digest username=\"unterminated").is_none());
        let p = parse_credentials("Digest username=x").expect("parse");
        assert!(!verify(&p, "INVITE", "00"));
    }
}
