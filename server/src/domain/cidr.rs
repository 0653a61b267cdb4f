//! Network addresses in configuration: the CIDR blocks trunks are known by.

use std::net::IpAddr;

/// Parse `a.b.c.d/n`, `a::b/n` or a bare address (a /32 or /128).
pub fn parse_cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let ip: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not an address or CIDR"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("'{s}' has an invalid prefix length"))?,
        None => max,
    };
    Ok((ip, bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_with_or_without_a_prefix() {
        assert_eq!(parse_cidr("203.0.113.0/24").map(|(_, b)| b), Ok(24));
        assert_eq!(parse_cidr("198.51.100.7").map(|(_, b)| b), Ok(32));
        assert_eq!(parse_cidr("2001:db8::/32").map(|(_, b)| b), Ok(32));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("example.com").is_err());
    }
}
