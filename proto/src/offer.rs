//! What an agent is told about a call offered to them, besides its numbers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a caller chose and entered in an IVR flow before reaching an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrInputs {
    /// The key pressed at each menu, in order.
    pub choices: Vec<IvrChoice>,
    /// Digits collected and variables set (`account`, ...).
    pub variables: BTreeMap<String, String>,
}

/// One menu choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrChoice {
    /// The menu's node in the flow.
    pub node: String,
    /// The key pressed there.
    pub key: String,
}

/// The tenant's contact with the caller's number: the screen pop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactCard {
    /// The contact's id (`/api/v1/contacts/{id}`).
    pub id: Uuid,
    /// Their name.
    pub name: String,
    /// Their company, if known.
    pub company: Option<String>,
    /// Their email address, if known.
    pub email: Option<String>,
    /// Free notes agents keep on them.
    pub notes: Option<String>,
    /// Their phone numbers.
    pub phones: Vec<ContactPhone>,
    /// Free-form fields, e.g. an account number or a CRM id.
    pub custom_fields: serde_json::Value,
}

/// One of a contact's phone numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPhone {
    /// E.164, e.g. `+359888123456`.
    pub number: String,
    /// Free label such as `mobile` or `work`.
    pub label: Option<String>,
}
