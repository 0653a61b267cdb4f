//! The SIP edge's number table: which trunk a request comes from (longest-prefix match of its
//! source address) and which tenant owns the dialled number. Pure data, rebuilt from the store
//! whenever trunks or numbers change; lookups never touch the database.

use std::collections::HashMap;
use std::net::IpAddr;

use uuid::Uuid;

use crate::domain::PhoneNumber;
use crate::domain::parse_cidr;
use crate::store::TenantId;
use crate::store::phone_number::PhoneNumberRecord;
use crate::store::trunk::TrunkConfig;

/// What a number's calls reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Echo,
    PromptDtmf,
    /// A direct line to one agent (`agent:<user id>`): the call rings on their desk.
    Agent(Uuid),
    /// A queue (`queue:<queue id>`): the tenant's router offers the call to its agents.
    Queue(Uuid),
    /// An IVR flow (`flow:<flow id>`): the call is answered and walks the flow, which ends
    /// in a queue, at an agent or in a hang-up.
    Flow(Uuid),
    /// Not configurable: a blocked caller whose treatment is `prompt` is answered, hears
    /// `blocked`, and the call ends.
    Blocked,
}

impl Destination {
    /// Whether the call is answered into a bridge that an agent joins (directly, from a
    /// queue, or at the end of a flow).
    pub fn bridged(self) -> bool {
        matches!(
            self,
            Destination::Agent(_)
                | Destination::Queue(_)
                | Destination::Flow(_)
                | Destination::Blocked
        )
    }

    pub fn parse(s: &str) -> Option<Destination> {
        match s {
            "echo" => Some(Destination::Echo),
            "prompt_dtmf" => Some(Destination::PromptDtmf),
            other => {
                let (kind, id) = other.split_once(':')?;
                let id = Uuid::parse_str(id).ok()?;
                match kind {
                    "agent" => Some(Destination::Agent(id)),
                    "queue" => Some(Destination::Queue(id)),
                    "flow" => Some(Destination::Flow(id)),
                    _ => None,
                }
            }
        }
    }
}

/// A trunk as routing sees it.
#[derive(Debug, Clone)]
pub struct TrunkEntry {
    pub id: Uuid,
    pub tenant: Option<TenantId>,
    pub name: String,
    pub channel_limit: u32,
    cidrs: Vec<(IpAddr, u8)>,
    /// Digest credentials the carrier may authenticate with instead of its address.
    pub inbound_username: Option<String>,
    pub inbound_ha1: Option<String>,
}

/// A number as routing sees it.
#[derive(Debug, Clone)]
pub struct NumberEntry {
    pub id: Uuid,
    pub tenant: TenantId,
    pub number: String,
    pub destination: Destination,
}

/// Why an inbound call has nowhere to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    /// The source address belongs to no trunk.
    UnknownSource,
    /// Nobody owns the dialled number (or the trunk is dedicated to another tenant).
    UnknownNumber,
}

#[derive(Debug, Default)]
pub struct NumberTable {
    trunks: Vec<TrunkEntry>,
    numbers: HashMap<String, NumberEntry>,
}

fn contains((net, bits): (IpAddr, u8), ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        (IpAddr::V4(n), IpAddr::V6(a)) => a
            .to_ipv4_mapped()
            .is_some_and(|a| contains((IpAddr::V4(n), bits), IpAddr::V4(a))),
        (IpAddr::V6(_), IpAddr::V4(_)) => false,
    }
}

/// The number in a Request-URI user part: `+E164`, or international digits without `+`
/// (carriers differ; national formats would need the trunk's country and are not guessed).
pub fn dialled_number(user: &str) -> Option<PhoneNumber> {
    let user = user.split(';').next().unwrap_or(user);
    let digits: String = user
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' '))
        .collect();
    match digits.strip_prefix('+') {
        Some(_) => PhoneNumber::parse_e164(&digits).ok(),
        None => PhoneNumber::parse_e164(&format!("+{digits}")).ok(),
    }
}

impl NumberTable {
    pub fn build(trunks: &[TrunkConfig], numbers: &[PhoneNumberRecord]) -> NumberTable {
        let trunks = trunks
            .iter()
            .map(|t| TrunkEntry {
                id: t.id,
                tenant: t.tenant_id.map(TenantId),
                name: t.name.clone(),
                channel_limit: u32::try_from(t.channel_limit).unwrap_or(0),
                cidrs: t
                    .inbound_cidrs
                    .iter()
                    .filter_map(|c| parse_cidr(c).ok())
                    .collect(),
                inbound_username: t.inbound_username.clone(),
                inbound_ha1: t.inbound_ha1.clone(),
            })
            .collect();
        let numbers = numbers
            .iter()
            .filter_map(|n| {
                Some((
                    n.number.clone(),
                    NumberEntry {
                        id: n.id,
                        tenant: TenantId(n.tenant_id),
                        number: n.number.clone(),
                        destination: Destination::parse(&n.destination)?,
                    },
                ))
            })
            .collect();
        NumberTable { trunks, numbers }
    }

    /// The trunk whose most specific CIDR contains `ip`.
    pub fn trunk_for(&self, ip: IpAddr) -> Option<&TrunkEntry> {
        self.trunks
            .iter()
            .filter_map(|t| {
                t.cidrs
                    .iter()
                    .filter(|c| contains(**c, ip))
                    .map(|c| c.1)
                    .max()
                    .map(|bits| (bits, t))
            })
            .max_by_key(|(bits, _)| *bits)
            .map(|(_, t)| t)
    }

    /// Route an inbound call from `source` to the dialled `user` part.
    pub fn route(
        &self,
        source: IpAddr,
        user: &str,
    ) -> Result<(&TrunkEntry, &NumberEntry), RouteError> {
        let trunk = self.trunk_for(source).ok_or(RouteError::UnknownSource)?;
        Ok((trunk, self.route_via(trunk, user)?))
    }

    /// The number a call on `trunk` (identified some other way, e.g. by credentials) reaches.
    pub fn route_via(&self, trunk: &TrunkEntry, user: &str) -> Result<&NumberEntry, RouteError> {
        let number = dialled_number(user)
            .and_then(|n| self.numbers.get(n.as_str()))
            .ok_or(RouteError::UnknownNumber)?;
        if trunk.tenant.is_some_and(|t| t != number.tenant) {
            return Err(RouteError::UnknownNumber);
        }
        Ok(number)
    }

    /// The trunk whose carrier authenticates with `username`.
    pub fn trunk_by_username(&self, username: &str) -> Option<&TrunkEntry> {
        self.trunks
            .iter()
            .find(|t| t.inbound_ha1.is_some() && t.inbound_username.as_deref() == Some(username))
    }

    /// Whether any trunk accepts digest credentials (else unknown sources are refused at once).
    pub fn has_credentials(&self) -> bool {
        self.trunks.iter().any(|t| t.inbound_ha1.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk(name: &str, tenant: Option<Uuid>, cidrs: &[&str]) -> TrunkConfig {
        TrunkConfig {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: name.into(),
            inbound_cidrs: cidrs.iter().map(|c| (*c).to_owned()).collect(),
            inbound_username: None,
            inbound_ha1: None,
            outbound_proxy: None,
            outbound_transport: "udp".into(),
            outbound_username: None,
            outbound_password: None,
            register: false,
            register_expires_secs: 600,
            options_interval_secs: 0,
            caller_id: None,
            channel_limit: 10,
        }
    }

    fn number(tenant: Uuid, n: &str, dest: &str) -> PhoneNumberRecord {
        PhoneNumberRecord {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            number: n.into(),
            destination: dest.into(),
            label: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn calls_are_routed_by_source_and_dialled_number() {
        let acme = Uuid::now_v7();
        let globex = Uuid::now_v7();
        let table = NumberTable::build(
            &[
                trunk("shared", None, &["203.0.113.0/24"]),
                trunk(
                    "globex-only",
                    Some(globex),
                    &["203.0.113.128/25", "2001:db8::/32"],
                ),
            ],
            &[
                number(acme, "+15550100100", "echo"),
                number(globex, "+35924900100", "prompt_dtmf"),
            ],
        );
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let (t, n) = table
            .route(ip("203.0.113.5"), "+15550100100")
            .expect("route");
        assert_eq!(
            (t.name.as_str(), n.destination),
            ("shared", Destination::Echo)
        );
        // International digits without +, and URI parameters, are understood.
        assert!(
            table
                .route(ip("203.0.113.5"), "15550100100;user=phone")
                .is_ok()
        );
        // The most specific CIDR wins; a dedicated trunk carries only its tenant's numbers.
        let (t, _) = table
            .route(ip("203.0.113.200"), "+35924900100")
            .expect("route");
        assert_eq!(t.name, "globex-only");
        assert_eq!(
            table.route(ip("203.0.113.200"), "+15550100100").err(),
            Some(RouteError::UnknownNumber)
        );
        assert_eq!(
            table
                .route(ip("2001:db8::1"), "+35924900100")
                .map(|(t, _)| t.name.as_str()),
            Ok("globex-only")
        );
        assert_eq!(
            table.route(ip("198.51.100.1"), "+15550100100").err(),
            Some(RouteError::UnknownSource)
        );
        assert_eq!(
            table.route(ip("203.0.113.5"), "+19999999999").err(),
            Some(RouteError::UnknownNumber)
        );
        assert_eq!(
            table.route(ip("203.0.113.5"), "alice").err(),
            Some(RouteError::UnknownNumber)
        );
        assert_eq!(
            table
                .route(ip("::ffff:203.0.113.5"), "+15550100100")
                .map(|(t, _)| t.name.as_str()),
            Ok("shared")
        );
    }
}
