//! Domain types that parse, rather than validate later: once a value has one of these types it
//! is known to be well formed. Pure code: no I/O, no clock.

mod cidr;
pub mod phone;
pub mod schedule;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use cidr::parse_cidr;
pub use phone::{DialPlan, PhoneError, PhoneNumber};

/// A role, from the most to the least powerful. Every user but a platform admin belongs to
/// exactly one tenant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    TenantAdmin,
    PlatformAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::TenantAdmin => "tenant_admin",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    /// Whether this role includes everything `other` may do within a tenant.
    pub fn at_least(self, other: Role) -> bool {
        self >= other
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown role '{0}'")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        match s {
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            "tenant_admin" => Ok(Role::TenantAdmin),
            "platform_admin" => Ok(Role::PlatformAdmin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// An email address, trimmed and lower-cased. The check is structural (one `@`, a dotted domain,
/// no spaces); deliverability is not our business.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, &'static str> {
        let s = input.trim().to_lowercase();
        if s.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("must contain '@'");
        };
        if local.is_empty() || local.len() > 64 {
            return Err("must have 1 to 64 characters before '@'");
        }
        if domain.contains('@') {
            return Err("must contain exactly one '@'");
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';')
        {
            return Err("must not contain spaces, commas or semicolons");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
        {
            return Err("must have a domain such as example.com");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's short name in URLs and at sign-in: 2 to 40 of `a-z`, `0-9`, `-`, starting with a
/// letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, &'static str> {
        let s = input.trim();
        let ok = (2..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Slug(s.to_owned()))
        } else {
            Err("must be 2 to 40 characters of a-z, 0-9 and '-', starting with a letter")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password chosen by a user. Length is the rule that matters (NIST SP 800-63B).
pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 10 {
        Err("must be at least 10 characters")
    } else if n > 256 {
        Err("must be at most 256 characters")
    } else {
        Ok(())
    }
}

/// Free text with a length limit: trimmed, not empty when required.
pub fn check_text(value: &str, max: usize) -> Result<String, &'static str> {
    let t = value.trim();
    if t.is_empty() {
        Err("must not be empty")
    } else if t.chars().count() > max {
        Err("is too long")
    } else if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        Err("must not contain control characters")
    } else {
        Ok(t.to_owned())
    }
}

/// An IANA time zone name such as `Europe/Sofia` or `UTC`, known to the tz database.
pub fn check_time_zone(tz: &str) -> Result<(), &'static str> {
    if tz.parse::<chrono_tz::Tz>().is_ok() {
        Ok(())
    } else {
        Err("must be an IANA time zone such as Europe/Sofia or UTC")
    }
}

/// A locale such as `en`, `bg`, `ru` or `en-US`.
pub fn check_locale(locale: &str) -> Result<(), &'static str> {
    let mut parts = locale.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()));
    let region_ok = match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(r), None) => r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()),
        _ => false,
    };
    if lang_ok && region_ok {
        Ok(())
    } else {
        Err("must be a language tag such as en, bg, ru or en-US")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::TenantAdmin.at_least(Role::Supervisor));
        assert!(Role::Supervisor.at_least(Role::Agent));
        assert!(!Role::Agent.at_least(Role::Supervisor));
        for r in [
            Role::Agent,
            Role::Supervisor,
            Role::TenantAdmin,
            Role::PlatformAdmin,
        ] {
            assert_eq!(r.as_str().parse::<Role>().ok(), Some(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn emails_are_normalised_and_malformed_ones_refused() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").map(|e| e.0),
            Ok("ann@example.com".into())
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@-x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_lowercase_words() {
        assert!(Slug::parse("acme").is_ok());
        assert!(Slug::parse("acme-2").is_ok());
        for bad in ["", "a", "Acme", "2acme", "acme-", "ac me", "acme_co"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pass").is_ok());
    }

    #[test]
    fn time_zones_and_locales_have_their_shapes() {
        for ok in [
            "UTC",
            "Europe/Sofia",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+3",
        ] {
            assert!(check_time_zone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Europe/",
            "/Sofia",
            "Europe Sofia",
            "../etc/passwd",
            "Mars/Olympus",
        ] {
            assert!(check_time_zone(bad).is_err(), "{bad}");
        }
        for ok in ["en", "bg", "ru", "en-US"] {
            assert!(check_locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "EN", "english", "en-us", "en-US-x"] {
            assert!(check_locale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(check_text("  Ann  ", 10), Ok("Ann".into()));
        assert!(check_text("   ", 10).is_err());
        assert!(check_text("abcdefghijk", 10).is_err());
        assert!(check_text("a\u{0}b", 10).is_err());
    }
}
