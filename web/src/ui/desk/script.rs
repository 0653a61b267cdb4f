//! The script panel: the queue's script for the call, filled with the contact, the agent and
//! what the caller entered in the IVR.

use leptos::prelude::*;
use serde_json::Value;

use super::field;
use crate::socket::Offer;
use crate::state::{desk, id_in};

/// `{contact.name}`, `{contact.company}`, `{contact.email}`, `{agent.name}`, `{ivr.x}`.
fn fill(text: &str, contact: &Option<Value>, agent: &str, offer: &Offer) -> String {
    let mut out = text.replace("{agent.name}", agent);
    for f in ["name", "company", "email"] {
        out = out.replace(&format!("{{contact.{f}}}"), &field(contact, f));
    }
    for (k, v) in &offer.ivr.variables {
        out = out.replace(&format!("{{ivr.{k}}}"), v);
    }
    // What the caller did not enter shows as a dash, not as a placeholder.
    while let Some(start) = out.find("{ivr.") {
        let Some(len) = out[start..].find('}') else {
            break;
        };
        out.replace_range(start..=start + len, "—");
    }
    out
}

#[component]
pub fn ScriptPanel() -> impl IntoView {
    let desk = desk();
    let script = move || {
        let offer = desk.call.get().map(|c| c.offer)?;
        let queue = offer.queue_id?;
        let s = desk
            .scripts
            .get()
            .into_iter()
            .find(|s| id_in(&s["queue_id"]) == Some(queue))?;
        let agent = desk.session.get().map(|s| s.name).unwrap_or_default();
        let contact = desk.contact.get();
        Some((
            fill(
                s["greeting"].as_str().unwrap_or_default(),
                &contact,
                &agent,
                &offer,
            ),
            fill(
                s["body"].as_str().unwrap_or_default(),
                &contact,
                &agent,
                &offer,
            ),
        ))
    };
    view! {
        <Show when=move || desk.call.get().is_some()>
            <section aria-label=move || desk.t("script") class="script">
                <h2>{move || desk.t("script")}</h2>
                {move || match script() {
                    None => view! { <p>{desk.t("no_script")}</p> }.into_any(),
                    Some((greeting, body)) => view! {
                        <p><strong>{greeting}</strong></p>
                        <ol>{body.lines().filter(|l| !l.trim().is_empty()).map(|l| view! { <li>{l.to_owned()}</li> }).collect_view()}</ol>
                    }.into_any(),
                }}
            </section>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_script_is_filled_with_the_contact_the_agent_and_the_ivr_and_nothing_is_left_raw() {
        let mut offer = Offer::bare(Uuid::nil(), "+1".into(), "+2".into());
        offer.ivr.variables.insert("topic".into(), "billing".into());
        let contact = Some(json!({ "name": "Alice", "company": "Johnson Hardware" }));
        let text = "Hi {contact.name} of {contact.company}, {agent.name} here ({ivr.topic}, {ivr.account}, {contact.email}).";
        assert_eq!(
            fill(text, &contact, "Alex", &offer),
            "Hi Alice of Johnson Hardware, Alex here (billing, —, )."
        );
        assert_eq!(fill("{ivr.unclosed", &None, "", &offer), "{ivr.unclosed");
    }
}
