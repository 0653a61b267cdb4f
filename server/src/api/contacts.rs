//! Contacts (customer cards). Agents read, create and edit them (the card is editable during a
//! call); supervisors and admins may delete them. Searching by phone accepts any common format:
//! the input is read in the tenant's dialling plan and matched in E.164.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::audit::entry;
use super::error::{ApiError, FieldError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, IdPath};
use super::page::{Page, contains_pattern, page_request};
use crate::auth::Principal;
use crate::domain::{DialPlan, Email, PhoneNumber, Role, check_text};
use crate::store::contact::{self, Contact, ContactFields, ContactFilter, ContactPhone};
use crate::store::{TenantId, Tx, audit, new_id, tenant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
}

const MAX_PHONES: usize = 20;
const MAX_CUSTOM_FIELDS_BYTES: usize = 16 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    /// Case-insensitive text in the name, company or email.
    pub q: Option<String>,
    /// A phone number in any common format (`+1 555 010 1234`, `0888 123 456`, `8-800-...`).
    pub phone: Option<String>,
    /// Exact email (case-insensitive).
    pub email: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A phone number as entered: any common format, normalised to E.164 on save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneInput {
    pub number: String,
    pub label: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub phones: Vec<PhoneInput>,
    /// A JSON object of free-form fields.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Value>,
}

/// A partial update: absent fields stay; `null` clears an optional field; `phones` and
/// `custom_fields` replace the whole list or object.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    pub phones: Option<Vec<PhoneInput>>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Value>,
}

/// Tells "absent" (outer `None`) from "null" (`Some(None)`).
/// The tenant's dialling plan, for reading national numbers.
async fn dial_plan(tx: &mut Tx, tenant: TenantId) -> Result<&'static DialPlan, ApiError> {
    let country = tenant::get(tx, tenant)
        .await?
        .map(|t| t.country)
        .unwrap_or_default();
    Ok(DialPlan::for_country_or_default(&country))
}

#[utoipa::path(
    get, path = "/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, body = Page<Contact>), (status = 400, body = super::error::Problem))
)]
async fn list_contacts(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> Result<axum::Json<Page<Contact>>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let phone = match q.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            let plan = dial_plan(&mut tx, tenant).await?;
            let n = PhoneNumber::parse(p, plan)
                .map_err(|e| ApiError::BadParameter(FieldError::new("phone", e.to_string())))?;
            Some(n.as_str().to_owned())
        }
        None => None,
    };
    let filter = ContactFilter {
        search: contains_pattern(q.q.map(|s| s.to_lowercase()).as_deref()),
        phone,
        email: q.email.map(|e| e.trim().to_lowercase()),
    };
    let rows = contact::list(&mut tx, tenant, &filter, page).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

/// Validate contact fields; phones are read in `plan` and de-duplicated.
#[allow(clippy::too_many_arguments)]
fn validate_fields(
    v: &mut Validator,
    plan: &DialPlan,
    name: &str,
    company: Option<&str>,
    email: Option<&str>,
    notes: Option<&str>,
    phones: &[PhoneInput],
    custom_fields: Option<&serde_json::Value>,
) -> Option<ContactFields> {
    let name = v.check("name", check_text(name, 200));
    let company = company.and_then(|c| v.check("company", check_text(c, 200)));
    let email = email
        .filter(|e| !e.trim().is_empty())
        .and_then(|e| v.check("email", Email::parse(e)))
        .map(|e| e.as_str().to_owned());
    let notes = notes
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| v.check("notes", check_text(n, 10_000)));
    if phones.len() > MAX_PHONES {
        v.add("phones", format!("at most {MAX_PHONES} numbers"));
    }
    let mut normalised: Vec<ContactPhone> = Vec::with_capacity(phones.len());
    for (i, p) in phones.iter().enumerate() {
        let number = v.check(
            &format!("phones[{i}].number"),
            PhoneNumber::parse(&p.number, plan),
        );
        let label = p
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .and_then(|l| v.check(&format!("phones[{i}].label"), check_text(l, 40)));
        if let Some(n) = number
            && !normalised.iter().any(|q| q.number == n.as_str())
        {
            normalised.push(ContactPhone {
                number: n.as_str().to_owned(),
                label,
            });
        }
    }
    let custom_fields = match custom_fields {
        None => serde_json::Value::Object(Default::default()),
        Some(value @ serde_json::Value::Object(_)) => {
            if value.to_string().len() > MAX_CUSTOM_FIELDS_BYTES {
                v.add(
                    "custom_fields",
                    format!("must be at most {MAX_CUSTOM_FIELDS_BYTES} bytes"),
                );
            }
            value.clone()
        }
        Some(_) => {
            v.add("custom_fields", "must be a JSON object");
            serde_json::Value::Null
        }
    };
    Some(ContactFields {
        name: name?,
        company,
        email,
        notes,
        phones: normalised,
        custom_fields,
    })
}

#[utoipa::path(
    post, path = "/contacts", tag = "contacts", request_body = CreateContact,
    responses((status = 201, body = Contact), (status = 422, body = super::error::Problem))
)]
async fn create_contact(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateContact>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let plan = dial_plan(&mut tx, tenant).await?;
    let mut v = Validator::default();
    let fields = validate_fields(
        &mut v,
        plan,
        &body.name,
        body.company.as_deref(),
        body.email.as_deref(),
        body.notes.as_deref(),
        &body.phones,
        body.custom_fields.as_ref(),
    );
    let Some(fields) = fields else {
        return Err(v.into_error());
    };
    v.finish()?;
    let id = new_id();
    contact::insert(&mut tx, tenant, id, &fields).await?;
    let created = contact::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let location = format!("/api/v1/contacts/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(created),
    ))
}

#[utoipa::path(
    get, path = "/contacts/{id}", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Contact), (status = 404, body = super::error::Problem))
)]
async fn get_contact(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<Contact>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let found = contact::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(found))
}

#[utoipa::path(
    patch, path = "/contacts/{id}", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    request_body = UpdateContact,
    responses(
        (status = 200, body = Contact),
        (status = 404, body = super::error::Problem),
        (status = 422, body = super::error::Problem),
    )
)]
async fn update_contact(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UpdateContact>,
) -> Result<axum::Json<Contact>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let current = contact::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let plan = dial_plan(&mut tx, tenant).await?;
    let phones: Vec<PhoneInput> = match body.phones {
        Some(p) => p,
        None => current
            .phones
            .iter()
            .map(|p| PhoneInput {
                number: p.number.clone(),
                label: p.label.clone(),
            })
            .collect(),
    };
    let merge = |new: Option<Option<String>>, old: Option<String>| new.unwrap_or(old);
    let company = merge(body.company, current.company);
    let email = merge(body.email, current.email);
    let notes = merge(body.notes, current.notes);
    let custom_fields = body.custom_fields.unwrap_or(current.custom_fields);
    let mut v = Validator::default();
    let fields = validate_fields(
        &mut v,
        plan,
        body.name.as_deref().unwrap_or(&current.name),
        company.as_deref(),
        email.as_deref(),
        notes.as_deref(),
        &phones,
        Some(&custom_fields),
    );
    let Some(fields) = fields else {
        return Err(v.into_error());
    };
    v.finish()?;
    contact::update(&mut tx, tenant, id, &fields).await?;
    let updated = contact::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(updated))
}

#[utoipa::path(
    delete, path = "/contacts/{id}", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = super::error::Problem))
)]
async fn delete_contact(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    if !contact::delete(&mut tx, tenant, id).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "contact.delete",
            "contact",
            Some(id),
            json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
