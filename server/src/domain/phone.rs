//! Phone numbers in E.164, parsed from the formats people and carriers actually write.
//!
//! A tenant has a home country; national numbers are read in that country's dialling plan
//! (trunk prefix, international prefix). This is deliberately a small table, not libphonenumber:
//! we need a canonical key for lookups (a caller is found from any format of their number), not
//! per-range validation.

use std::fmt;

/// A number in E.164 form: `+` then 7 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but separators.
    #[error("the number is empty")]
    Empty,
    /// A character that is neither a digit nor a usual separator.
    #[error("the number contains '{0}', which is not a digit or separator")]
    InvalidCharacter(char),
    /// Too few or too many digits for E.164.
    #[error("the number has {0} digits; E.164 numbers have 7 to 15 after the country code prefix")]
    BadLength(usize),
    /// A country code cannot start with 0.
    #[error("the country code cannot start with 0")]
    ZeroCountryCode,
}

/// The dialling plan of a country: what we need to turn national input into E.164.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialPlan {
    /// ISO 3166-1 alpha-2 code.
    pub iso: &'static str,
    /// Country calling code, without `+`.
    pub calling_code: &'static str,
    /// National trunk prefix dropped before adding the calling code ("0", "8", "1"), if any.
    pub trunk_prefix: Option<&'static str>,
    /// International call prefixes that may replace `+`.
    pub international_prefixes: &'static [&'static str],
}

const fn plan(
    iso: &'static str,
    calling_code: &'static str,
    trunk_prefix: Option<&'static str>,
    international_prefixes: &'static [&'static str],
) -> DialPlan {
    DialPlan {
        iso,
        calling_code,
        trunk_prefix,
        international_prefixes,
    }
}

const STD: &[&str] = &["00"];

/// Countries whose national formats we understand. Italy keeps its leading 0 in E.164 (no trunk
/// prefix); Russia and Kazakhstan dial 8 nationally (8-800 toll-free becomes +7 800).
pub const DIAL_PLANS: &[DialPlan] = &[
    plan("US", "1", Some("1"), &["011"]),
    plan("CA", "1", Some("1"), &["011"]),
    plan("GB", "44", Some("0"), STD),
    plan("IE", "353", Some("0"), STD),
    plan("DE", "49", Some("0"), STD),
    plan("AT", "43", Some("0"), STD),
    plan("CH", "41", Some("0"), STD),
    plan("FR", "33", Some("0"), STD),
    plan("NL", "31", Some("0"), STD),
    plan("BE", "32", Some("0"), STD),
    plan("BG", "359", Some("0"), STD),
    plan("RO", "40", Some("0"), STD),
    plan("RS", "381", Some("0"), STD),
    plan("GR", "30", None, STD),
    plan("RU", "7", Some("8"), &["810", "00"]),
    plan("KZ", "7", Some("8"), &["810", "00"]),
    plan("UA", "380", Some("0"), STD),
    plan("PL", "48", None, STD),
    plan("CZ", "420", None, STD),
    plan("SK", "421", Some("0"), STD),
    plan("ES", "34", None, STD),
    plan("PT", "351", None, STD),
    plan("IT", "39", None, STD),
    plan("SE", "46", Some("0"), STD),
    plan("NO", "47", None, STD),
    plan("DK", "45", None, STD),
    plan("FI", "358", Some("0"), &["00", "990"]),
    plan("TR", "90", Some("0"), STD),
    plan("IL", "972", Some("0"), STD),
    plan("AE", "971", Some("0"), STD),
    plan("IN", "91", Some("0"), STD),
    plan("AU", "61", Some("0"), &["0011"]),
    plan("NZ", "64", Some("0"), STD),
    plan("ZA", "27", Some("0"), STD),
    plan("BR", "55", Some("0"), STD),
    plan("MX", "52", None, STD),
];

impl DialPlan {
    /// The plan of an ISO country code (case-insensitive), if we know it.
    pub fn for_country(iso: &str) -> Option<&'static DialPlan> {
        DIAL_PLANS.iter().find(|p| p.iso.eq_ignore_ascii_case(iso))
    }

    /// The plan of a country, or the first plan (US) for a country we do not know. Tenants are
    /// created with a known country; the fallback covers rows edited by hand.
    pub fn for_country_or_default(iso: &str) -> &'static DialPlan {
        Self::for_country(iso).unwrap_or(&DIAL_PLANS[0])
    }
}

impl PhoneNumber {
    /// Parse a number written in any common format: `+1 (555) 010-1234`, `00359 88 123 4567`,
    /// `8 800 555-35-35` (in Russia), `tel:+44...`, or national digits in `home`'s plan.
    pub fn parse(input: &str, home: &DialPlan) -> Result<PhoneNumber, PhoneError> {
        let trimmed = input.trim();
        let trimmed = trimmed
            .strip_prefix("tel:")
            .or_else(|| trimmed.strip_prefix("TEL:"))
            .unwrap_or(trimmed);
        let mut plus = false;
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let international = if plus {
            digits
        } else if let Some(rest) = home
            .international_prefixes
            .iter()
            .find_map(|p| digits.strip_prefix(p))
        {
            rest.to_owned()
        } else if let Some(rest) = home.trunk_prefix.and_then(|t| digits.strip_prefix(t)) {
            format!("{}{}", home.calling_code, rest)
        } else if home.trunk_prefix.is_none() && digits.starts_with(home.calling_code) {
            // Without a trunk prefix, national numbers and numbers written with the country code
            // but no `+` look alike; a number that already starts with the code and is long
            // enough to carry it is taken as international.
            if digits.len() >= home.calling_code.len() + 8 {
                digits
            } else {
                format!("{}{}", home.calling_code, digits)
            }
        } else if digits.starts_with(home.calling_code)
            && digits.len() > home.calling_code.len() + 7
        {
            digits
        } else {
            format!("{}{}", home.calling_code, digits)
        };
        Self::from_international_digits(&international)
    }

    /// Parse strict E.164 (`+` and digits only), as stored.
    pub fn parse_e164(input: &str) -> Result<PhoneNumber, PhoneError> {
        let digits = input.strip_prefix('+').ok_or(PhoneError::Empty)?;
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PhoneError::InvalidCharacter(c));
        }
        Self::from_international_digits(digits)
    }

    fn from_international_digits(digits: &str) -> Result<PhoneNumber, PhoneError> {
        if !(7..=15).contains(&digits.len()) {
            return Err(PhoneError::BadLength(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(PhoneError::ZeroCountryCode);
        }
        Ok(PhoneNumber(format!("+{digits}")))
    }

    /// The E.164 form, e.g. `+35988123456`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(iso: &str) -> &'static DialPlan {
        DialPlan::for_country(iso).expect("known country")
    }

    #[test]
    fn common_formats_of_one_number_become_the_same_e164() {
        let cases = [
            ("US", "+1 (555) 010-1234"),
            ("US", "555-010-1234"),
            ("US", "1 555 010 1234"),
            ("US", "011 1 555 010 1234"),
            ("US", "tel:+15550101234"),
            ("US", "15550101234"),
            ("GB", "+15550101234"),
            ("BG", "00 1 555 010 1234"),
        ];
        for (country, input) in cases {
            let n = PhoneNumber::parse(input, home(country)).expect(input);
            assert_eq!(n.as_str(), "+15550101234", "{country} {input}");
        }
    }

    #[test]
    fn national_numbers_use_the_home_country_plan() {
        let cases = [
            ("BG", "0888 123 456", "+359888123456"),
            ("BG", "359888123456", "+359888123456"),
            ("RU", "8 800 555-35-35", "+78005553535"),
            ("RU", "8 (495) 123-45-67", "+74951234567"),
            ("RU", "+7 495 123 45 67", "+74951234567"),
            ("RU", "810 359 888 123 456", "+359888123456"),
            ("GB", "020 7946 0018", "+442079460018"),
            ("IT", "06 1234 5678", "+390612345678"),
            ("IT", "39 06 1234 5678", "+390612345678"),
            ("DE", "030.123456", "+4930123456"),
        ];
        for (country, input, want) in cases {
            let n = PhoneNumber::parse(input, home(country)).expect(input);
            assert_eq!(n.as_str(), want, "{country} {input}");
        }
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let us = home("US");
        assert_eq!(PhoneNumber::parse("   ", us), Err(PhoneError::Empty));
        assert_eq!(
            PhoneNumber::parse("+1-555-CALL-NOW", us),
            Err(PhoneError::InvalidCharacter('C'))
        );
        assert_eq!(PhoneNumber::parse("+12", us), Err(PhoneError::BadLength(2)));
        assert_eq!(
            PhoneNumber::parse("+1234567890123456", us),
            Err(PhoneError::BadLength(16))
        );
        assert_eq!(
            PhoneNumber::parse("+0123456789", us),
            Err(PhoneError::ZeroCountryCode)
        );
        assert_eq!(
            PhoneNumber::parse("12+345678", us),
            Err(PhoneError::InvalidCharacter('+'))
        );
    }

    #[test]
    fn strict_e164_accepts_only_plus_and_digits() {
        assert!(PhoneNumber::parse_e164("+359888123456").is_ok());
        assert!(PhoneNumber::parse_e164("359888123456").is_err());
        assert!(PhoneNumber::parse_e164("+359 888").is_err());
    }

    #[test]
    fn every_dial_plan_has_a_numeric_calling_code() {
        for p in DIAL_PLANS {
            assert!(
                p.calling_code.chars().all(|c| c.is_ascii_digit()),
                "{}",
                p.iso
            );
            assert_eq!(p.iso.len(), 2);
        }
    }
}
