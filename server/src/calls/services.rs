//! The built-in services a number can point at (echo, prompt + DTMF test), the relay of a
//! bridged call, and the tenant's own prompts.

use std::net::SocketAddr;

use switchboard_media::g711::Law;
use switchboard_media::service::{MediaParams, Service};
use switchboard_sip::sdp::{self, Codec};

use super::Edge;
use crate::store::{Store, TenantId};
use crate::telephony::numbers::Destination;

/// The tenant's own prompt `name`, decoded, if it uploaded one.
pub(super) async fn custom_prompt(store: &Store, tenant: TenantId, name: &str) -> Option<Vec<i16>> {
    let mut tx = store.tenant_tx(tenant).await.ok()?;
    let wav = crate::store::prompt::audio(&mut tx, tenant, name)
        .await
        .ok()??;
    let _ = tx.commit().await;
    switchboard_media::wav::read(&wav).ok().map(|a| a.samples)
}

/// The built-in service `destination` runs on a call's RTP, and where its media goes first
/// (until the caller's packets say where they really are).
pub(super) fn service_for(
    edge: &Edge,
    session: &sdp::AudioSession,
    destination: Destination,
    locale: &str,
    custom_prompt: Option<Vec<i16>>,
) -> (Service, Option<SocketAddr>) {
    let law = match session.codec {
        Codec::Pcmu => Law::Mu,
        Codec::Pcma => Law::A,
    };
    let params = MediaParams {
        law,
        telephone_event: session.telephone_event,
        ssrc: rand::random(),
    };
    let service = match destination {
        Destination::Echo => Service::echo(params),
        Destination::PromptDtmf => {
            let set = edge.prompts.for_locale(locale);
            let built_in = set.get("enter-digits").unwrap_or_default();
            let prompt = custom_prompt.as_deref().unwrap_or(&built_in);
            Service::prompt(params, prompt, set.digits.clone())
        }
        Destination::Agent(_)
        | Destination::Queue(_)
        | Destination::Flow(_)
        | Destination::Blocked => Service::relay(params),
    };
    let remote = session
        .we_send()
        .then(|| SocketAddr::new(session.remote_addr, session.remote_port));
    (service, remote)
}
