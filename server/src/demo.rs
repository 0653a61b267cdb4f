//! Demo data: two tenants, `acme` (US) and `globex` (Bulgaria), each with an admin, a
//! supervisor, two agents and a few contacts, plus a platform admin. Seeded once: if `acme`
//! exists, nothing is touched.

use std::net::SocketAddr;

use serde_json::json;

use crate::auth::password;
use crate::domain::{DialPlan, PhoneNumber};
use crate::store::contact::{self, ContactFields, ContactPhone};
use crate::store::document::{self, Kind};
use crate::store::queue::{self, QueueSettings, SkillLevel};
use crate::store::tenant::{self, NewTenant};
use crate::store::trunk::{self, TrunkFields};
use crate::store::user::{self, NewUser};
use crate::store::{Store, TenantId, audit, new_id, phone_number};
use crate::store::{call, desk};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "switchboard-demo";
/// The platform admin's email (signs in without a tenant).
pub const PLATFORM_ADMIN: &str = "platform@switchboard.local";

/// Name, company, email and phone numbers (in the tenant's national formats).
type DemoContact = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [&'static str],
);

struct DemoTenant {
    slug: &'static str,
    name: &'static str,
    time_zone: &'static str,
    locale: &'static str,
    country: &'static str,
    domain: &'static str,
    people: [(&'static str, &'static str, &'static str); 4],
    /// Numbers for the built-in services: (number, destination, label).
    numbers: [(&'static str, &'static str, &'static str); 2],
    /// A direct line to one agent's desk: (number, the agent, label).
    direct_line: (&'static str, &'static str, &'static str),
    /// The queue number: (number, label); it rings the `support` queue, served by both agents.
    queue_line: (&'static str, &'static str),
    /// The main line: (number, label); it answers with the `main menu` IVR flow.
    ivr_line: (&'static str, &'static str),
    contacts: &'static [DemoContact],
}

const TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        slug: "acme",
        name: "Acme Corporation",
        time_zone: "America/New_York",
        locale: "en",
        country: "US",
        domain: "acme.example",
        people: [
            ("admin", "Ada Admin", "tenant_admin"),
            ("supervisor", "Sam Supervisor", "supervisor"),
            ("agent1", "Alex Agent", "agent"),
            ("agent2", "Blake Agent", "agent"),
        ],
        numbers: [
            ("+15550100100", "echo", "Echo test"),
            ("+15550100101", "prompt_dtmf", "Prompt and DTMF test"),
        ],
        direct_line: ("+15550100102", "agent1", "Alex Agent's direct line"),
        queue_line: ("+15550100103", "Support hotline"),
        ivr_line: ("+15550100104", "Main line (IVR)"),
        contacts: &[
            (
                "Alice Johnson",
                Some("Johnson Hardware"),
                Some("alice@johnson-hardware.example"),
                &["+1 555 010 1001", "(555) 010-1002"],
            ),
            (
                "Bob Smith",
                None,
                Some("bob.smith@example.com"),
                &["+1 555 010 2001"],
            ),
            ("Carol White", Some("White & Co"), None, &["555-010-3001"]),
        ],
    },
    DemoTenant {
        slug: "globex",
        name: "Globex Bulgaria",
        time_zone: "Europe/Sofia",
        locale: "bg",
        country: "BG",
        domain: "globex.example",
        people: [
            ("admin", "Гергана Админова", "tenant_admin"),
            ("supervisor", "Стефан Супервайзоров", "supervisor"),
            ("agent1", "Ана Операторова", "agent"),
            ("agent2", "Борис Операторов", "agent"),
        ],
        numbers: [
            ("+35924900100", "echo", "Ехо тест"),
            ("+35924900101", "prompt_dtmf", "Тест с подкана и DTMF"),
        ],
        direct_line: ("+35924900102", "agent1", "Пряка линия на Ана"),
        queue_line: ("+35924900103", "Гореща линия"),
        ivr_line: ("+35924900104", "Централа (IVR)"),
        contacts: &[
            (
                "Иван Петров",
                Some("Петров ЕООД"),
                Some("ivan@petrov.example"),
                &["0888 123 456"],
            ),
            (
                "Мария Иванова",
                None,
                None,
                &["+359 2 987 6543", "0899 555 111"],
            ),
            (
                "John Doe",
                Some("Doe Imports"),
                Some("john@doe-imports.example"),
                &["+44 20 7946 0018"],
            ),
        ],
    },
];

/// Seed the demo once. Returns whether anything was created.
pub async fn seed(store: &Store) -> anyhow::Result<bool> {
    let mut ptx = store.platform_tx().await?;
    if tenant::find_by_slug(&mut ptx, "acme").await?.is_some() {
        tracing::info!("demo data already present");
        return Ok(false);
    }
    let hash = {
        let p = DEMO_PASSWORD.to_owned();
        tokio::task::spawn_blocking(move || password::hash(&p))
            .await?
            .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?
    };
    if user::platform_credentials(&mut ptx, PLATFORM_ADMIN)
        .await?
        .is_none()
    {
        let admin = NewUser {
            email: PLATFORM_ADMIN.into(),
            display_name: "Platform Admin".into(),
            role: "platform_admin".into(),
            password_hash: hash.clone(),
        };
        user::insert_platform_admin(&mut ptx, new_id(), &admin).await?;
    }
    for t in &TENANTS {
        let id = TenantId(new_id());
        let new = NewTenant {
            slug: t.slug.into(),
            name: t.name.into(),
            time_zone: t.time_zone.into(),
            locale: t.locale.into(),
            country: t.country.into(),
            max_concurrent_calls: 30,
            max_agents: 50,
        };
        tenant::insert(&mut ptx, id.0, &new).await?;
        ptx.enter_tenant(id).await?;
        audit::record(
            ptx.conn(),
            &audit::AuditEntry {
                tenant: Some(id),
                actor_kind: "system",
                actor_id: None,
                action: "tenant.create",
                target_type: "tenant",
                target_id: Some(id.0),
                details: json!({ "slug": t.slug, "demo": true }),
                source_ip: None,
            },
        )
        .await?;
        let (line, line_agent, line_label) = t.direct_line;
        let mut line_destination = None;
        let mut agents = Vec::new();
        for (local, name, role) in t.people {
            let u = NewUser {
                email: format!("{local}@{}", t.domain),
                display_name: name.into(),
                role: role.into(),
                password_hash: hash.clone(),
            };
            let user_id = new_id();
            user::insert(ptx.conn(), id, user_id, &u).await?;
            if local == line_agent {
                line_destination = Some(format!("agent:{user_id}"));
            }
            if role == "agent" {
                agents.push(user_id);
            }
        }
        for (number, destination, label) in t.numbers {
            phone_number::insert(&mut ptx, new_id(), id, number, destination, Some(label)).await?;
        }
        if let Some(destination) = line_destination {
            phone_number::insert(&mut ptx, new_id(), id, line, &destination, Some(line_label))
                .await?;
        }
        let (support, tier2) = seed_queues(ptx.conn(), id, &agents).await?;
        seed_desk(ptx.conn(), id, t.locale, support, tier2).await?;
        let (queue_number, queue_label) = t.queue_line;
        let destination = format!("queue:{support}");
        phone_number::insert(
            &mut ptx,
            new_id(),
            id,
            queue_number,
            &destination,
            Some(queue_label),
        )
        .await?;
        let flow = seed_flow(ptx.conn(), id, t.time_zone, support).await?;
        let (ivr_number, ivr_label) = t.ivr_line;
        phone_number::insert(
            &mut ptx,
            new_id(),
            id,
            ivr_number,
            &format!("flow:{flow}"),
            Some(ivr_label),
        )
        .await?;
        let plan = DialPlan::for_country(t.country)
            .ok_or_else(|| anyhow::anyhow!("demo country {} has no dial plan", t.country))?;
        for (name, company, email, numbers) in t.contacts {
            let phones = numbers
                .iter()
                .map(|n| {
                    Ok(ContactPhone {
                        number: PhoneNumber::parse(n, plan)?.as_str().to_owned(),
                        label: None,
                    })
                })
                .collect::<Result<Vec<_>, crate::domain::PhoneError>>()?;
            let fields = ContactFields {
                name: (*name).into(),
                company: company.map(Into::into),
                email: email.map(Into::into),
                notes: None,
                phones,
                custom_fields: json!({}),
            };
            contact::insert(ptx.conn(), id, new_id(), &fields).await?;
        }
    }
    trunk::insert(&mut ptx, new_id(), &loopback_trunk()).await?;
    ptx.commit().await?;
    tracing::info!("demo tenants acme and globex created");
    Ok(true)
}

/// Skills and queues: `support` (longest idle, both agents, 10 s wrap-up, overflow to tier 2
/// after 5 minutes) and `tier 2` (higher priority, the first agent, who has the skill).
/// Returns the ids of `support` and `tier 2`.
async fn seed_queues(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    agents: &[uuid::Uuid],
) -> anyhow::Result<(uuid::Uuid, uuid::Uuid)> {
    let skill = queue::insert_skill(conn, tenant, "billing").await?;
    let settings = |name: &str, priority: i32, overflow: Option<uuid::Uuid>| QueueSettings {
        name: name.into(),
        strategy: "longest_idle".into(),
        priority,
        skill_id: None,
        min_level: 1,
        ring_timeout_secs: 20,
        wrap_up_secs: 10,
        max_wait_secs: overflow.map(|_| 300),
        max_len: None,
        overflow_queue_id: overflow,
        announce_every_secs: Some(30),
        service_level_secs: 20,
        service_level_target: 80,
    };
    let tier2 = queue::save(conn, tenant, None, &settings("tier 2", 10, None))
        .await?
        .ok_or_else(|| anyhow::anyhow!("tier 2 not created"))?;
    let support = queue::save(conn, tenant, None, &settings("support", 0, Some(tier2)))
        .await?
        .ok_or_else(|| anyhow::anyhow!("support not created"))?;
    queue::set_members(conn, tenant, support, agents).await?;
    if let Some(first) = agents.first() {
        queue::set_members(conn, tenant, tier2, &[*first]).await?;
        let level = SkillLevel {
            skill_id: skill.id,
            level: 4,
        };
        queue::set_agent_skills(conn, tenant, *first, &[level]).await?;
    }
    Ok((support, tier2))
}

/// Disposition codes, break reasons and a script for each queue, in the tenant's language.
async fn seed_desk(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    locale: &str,
    support: uuid::Uuid,
    tier2: uuid::Uuid,
) -> anyhow::Result<()> {
    let bg = locale == "bg";
    let codes: [(&str, &str, &str); 4] = [
        ("resolved", "Resolved", "Решен"),
        ("callback", "Call back", "Обратно обаждане"),
        ("escalated", "Escalated to tier 2", "Ескалиран"),
        ("sale", "Sale", "Продажба"),
    ];
    for (code, en, bg_label) in codes {
        let label = if bg { bg_label } else { en };
        desk::insert_disposition(conn, tenant, new_id(), code, label, None).await?;
    }
    // The built-in break reasons and one of the tenant's own.
    let mut breaks = desk::default_break_reasons();
    breaks.push(desk::BreakReason {
        code: "coaching".into(),
        label: if bg { "Коучинг" } else { "Coaching" }.into(),
    });
    desk::set_break_reasons(conn, tenant, &breaks).await?;
    let (greeting, body, greeting2, body2) = if bg {
        (
            "Добър ден, {contact.name}! Аз съм {agent.name} от поддръжката.",
            "Попитайте за номера на поръчката или сметката.\nПотвърдете имейла: {contact.email}.\nАко въпросът е технически и сложен, ескалирайте към второ ниво.",
            "Второ ниво, {agent.name} на телефона.",
            "Прочетете бележките от предишните обаждания.\nПотвърдете, че проблемът е решен.",
        )
    } else {
        (
            "Thank you for calling, {contact.name}. This is {agent.name} from support.",
            "Ask for the order or account number ({ivr.account}).\nConfirm the email on file: {contact.email}.\nIf the problem is technical and hard, escalate to tier 2.",
            "Tier 2, {agent.name} speaking.",
            "Read the notes of the earlier calls first.\nConfirm the problem is solved before you end the call.",
        )
    };
    desk::save_script(conn, tenant, new_id(), support, greeting, body).await?;
    desk::save_script(conn, tenant, new_id(), tier2, greeting2, body2).await?;
    Ok(())
}

/// Earlier calls of the demo contacts, so the desk's history is never empty on a first try.
/// Separate from [`seed`] (the run command does both), so tests that count calls start from
/// none. Returns false when the history is there already.
pub async fn seed_history(store: &Store) -> anyhow::Result<bool> {
    for t in &TENANTS {
        let mut ptx = store.platform_tx().await?;
        let Some((tenant, _)) = tenant::find_by_slug(&mut ptx, t.slug).await? else {
            continue;
        };
        ptx.enter_tenant(tenant).await?;
        let conn = ptx.conn();
        let (earlier, _) = call::list(
            conn,
            tenant,
            &call::CallFilter::default(),
            crate::store::PageRequest {
                limit: 1,
                after: None,
            },
        )
        .await?;
        if !earlier.is_empty() || call::count_open(conn, tenant).await? > 0 {
            return Ok(false);
        }
        let Some(support) = queue::list(conn, tenant, None)
            .await?
            .into_iter()
            .find(|q| q.settings.name == "support")
        else {
            continue;
        };
        let filter = user::UserFilter {
            role: Some("agent".into()),
            search: None,
        };
        let page = crate::store::PageRequest {
            limit: 10,
            after: None,
        };
        let (agents, _) = user::list(conn, tenant, &filter, page).await?;
        let agents: Vec<uuid::Uuid> = agents.iter().map(|u| u.id).collect();
        let (contacts, _) = contact::list(
            conn,
            tenant,
            &contact::ContactFilter::default(),
            crate::store::PageRequest {
                limit: 100,
                after: None,
            },
        )
        .await?;
        let callers: Vec<String> = contacts
            .iter()
            .filter_map(|c| c.phones.first().map(|p| p.number.clone()))
            .collect();
        let (line, _) = t.queue_line;
        history_of(
            conn,
            tenant,
            t.locale == "bg",
            line,
            support.id,
            &agents,
            &callers,
        )
        .await?;
        ptx.commit().await?;
    }
    Ok(true)
}

/// Two answered calls in `support` for each caller, with dispositions and notes.
async fn history_of(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    bg: bool,
    queue_line: &str,
    support: uuid::Uuid,
    agents: &[uuid::Uuid],
    callers: &[String],
) -> anyhow::Result<()> {
    let notes: [(&str, &str, &str, bool, i64, i64); 2] = [
        (
            "resolved",
            "Asked about an invoice; explained the charges.",
            "Питаше за фактура; обясних таксите.",
            false,
            3,
            240,
        ),
        (
            "callback",
            "Wants a call back about the delivery date.",
            "Иска обратно обаждане за датата на доставка.",
            true,
            10,
            150,
        ),
    ];
    for caller in callers {
        for (i, (code, en, bg_note, follow_up, days_ago, secs)) in notes.iter().enumerate() {
            let id = new_id();
            let started = chrono::Utc::now() - chrono::Duration::days(*days_ago);
            let record = call::NewCall {
                id,
                tenant,
                direction: "inbound",
                trunk_id: None,
                number_id: None,
                from_number: caller,
                to_number: queue_line,
                sip_call_id: "demo",
                started_at: started,
                node: "demo",
            };
            call::insert(conn, &record).await?;
            call::mark_answered(conn, tenant, id, started).await?;
            let end = call::CallEnd {
                ended_at: started + chrono::Duration::seconds(*secs),
                hangup_cause: "answered",
                hangup_side: "caller",
                sip_code: Some(200),
                codec: Some("PCMU"),
                dtmf_digits: "",
                quality: json!({}),
            };
            call::close(conn, tenant, id, &end).await?;
            call::set_queue(conn, tenant, id, Some(support), None).await?;
            if let Some(agent) = agents.get(i % agents.len().max(1)) {
                call::assign_agent(conn, tenant, id, *agent).await?;
            }
            let w = desk::WrapUp {
                disposition: code,
                notes: Some(if bg { bg_note } else { en }),
                follow_up: *follow_up,
            };
            desk::wrap_up(conn, tenant, id, &w).await?;
        }
    }
    Ok(())
}

/// The business hours `office hours` (every day 07:00-23:00 in the tenant's time zone) and
/// the flow `main menu`: closed hours hear `closed` and the call ends; open hours hear
/// `welcome`, then the menu: 1 (sales, priority 5) or 2 (support), both into `support`, which
/// is also where a caller who presses nothing goes. Returns the flow's id.
async fn seed_flow(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    time_zone: &str,
    support: uuid::Uuid,
) -> anyhow::Result<uuid::Uuid> {
    let every_day = ["07:00-23:00"];
    let hours = json!({
        "time_zone": time_zone,
        "weekly": {
            "mon": every_day, "tue": every_day, "wed": every_day, "thu": every_day,
            "fri": every_day, "sat": every_day, "sun": every_day,
        },
    });
    let schedule = document::insert(
        conn,
        tenant,
        Kind::Schedule,
        new_id(),
        "office hours",
        &hours,
    )
    .await?;
    let flow = json!({
        "start": "hours",
        "nodes": {
            "hours": { "type": "hours", "schedule": schedule.id.to_string(),
                       "open": "welcome", "closed": "closed" },
            "closed": { "type": "hangup", "prompt": "closed" },
            "welcome": { "type": "play", "prompt": "welcome", "next": "menu" },
            "menu": { "type": "menu", "prompt": "menu-sales-support",
                      "options": { "1": "sales", "2": "support" },
                      "timeout_secs": 5, "retries": 2, "invalid_prompt": "invalid",
                      "fallback": "support" },
            "sales": { "type": "set_priority", "priority": 5, "next": "topic_sales" },
            "topic_sales": { "type": "set_variable", "name": "topic", "value": "sales",
                             "next": "queue" },
            "support": { "type": "set_variable", "name": "topic", "value": "support",
                         "next": "queue" },
            "queue": { "type": "queue", "queue": support.to_string() },
        },
    });
    // Checked like a flow saved through the API.
    let parsed: switchboard_ivr::Flow = serde_json::from_value(flow.clone())?;
    parsed
        .validate()
        .map_err(|e| anyhow::anyhow!("the demo flow is invalid: {e:?}"))?;
    let doc = document::insert(conn, tenant, Kind::IvrFlow, new_id(), "main menu", &flow).await?;
    Ok(doc.id)
}

/// A shared trunk accepting calls from this machine, so `sipp` or `baresip` on localhost can
/// play the carrier.
fn loopback_trunk() -> TrunkFields {
    TrunkFields {
        tenant_id: None,
        name: "loopback (demo)".into(),
        inbound_cidrs: vec!["127.0.0.0/8".into(), "::1/128".into()],
        inbound_username: None,
        inbound_ha1: None,
        outbound_proxy: Some("127.0.0.1:5070".into()),
        outbound_transport: "udp".into(),
        outbound_username: None,
        outbound_password: None,
        register: false,
        register_expires_secs: 600,
        options_interval_secs: 0,
        caller_id: None,
        channel_limit: 1000,
    }
}

/// Print the demo logins to standard output.
pub fn print_logins(addr: SocketAddr, sip: Option<SocketAddr>) {
    let mut out = String::new();
    out.push_str(&format!(
        "\nSwitchboard demo is running: http://{addr}  (API under /api/v1, docs at /api/openapi.json)\n"
    ));
    out.push_str(&format!("All demo passwords: {DEMO_PASSWORD}\n"));
    out.push_str(&format!(
        "  platform admin   {PLATFORM_ADMIN} (no tenant)\n"
    ));
    for t in &TENANTS {
        for (local, _, role) in t.people {
            out.push_str(&format!(
                "  {:<8} {:<13} {local}@{}\n",
                t.slug, role, t.domain
            ));
        }
    }
    if let Some(sip) = sip {
        out.push_str(&format!(
            "SIP (UDP and TCP): {sip}; demo numbers, callable from 127.0.0.1:\n"
        ));
        for t in &TENANTS {
            for (number, destination, _) in t.numbers {
                out.push_str(&format!("  {:<8} {number:<14} {destination}\n", t.slug));
            }
            let (line, agent, _) = t.direct_line;
            out.push_str(&format!(
                "  {:<8} {line:<14} rings {agent}@{} in the browser\n",
                t.slug, t.domain
            ));
            let (queue_line, _) = t.queue_line;
            out.push_str(&format!(
                "  {:<8} {queue_line:<14} queue \"support\": rings an available agent\n",
                t.slug
            ));
            let (ivr_line, _) = t.ivr_line;
            out.push_str(&format!(
                "  {:<8} {ivr_line:<14} IVR \"main menu\": 1 sales, 2 support (open 07:00-23:00)\n",
                t.slug
            ));
        }
    }
    println!("{out}");
}
