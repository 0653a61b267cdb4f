//! Contacts: the customer card an agent sees when a caller is recognised. Numbers are stored
//! in E.164 in `contact_phone`, so a caller is found from any format of any of their numbers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, TenantId};

/// One of a contact's phone numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactPhone {
    /// E.164, e.g. `+359888123456`.
    pub number: String,
    /// Free label such as `mobile` or `work`.
    pub label: Option<String>,
}

/// A customer card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub phones: Vec<ContactPhone>,
    /// Free-form fields, e.g. an account number or a CRM id.
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Contact> for switchboard_proto::ContactCard {
    fn from(c: Contact) -> switchboard_proto::ContactCard {
        switchboard_proto::ContactCard {
            id: c.id,
            name: c.name,
            company: c.company,
            email: c.email,
            notes: c.notes,
            phones: c
                .phones
                .into_iter()
                .map(|p| switchboard_proto::ContactPhone {
                    number: p.number,
                    label: p.label,
                })
                .collect(),
            custom_fields: c.custom_fields,
        }
    }
}

/// The fields of a contact, validated (create, or the merged result of an update).
#[derive(Debug, Clone)]
pub struct ContactFields {
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub phones: Vec<ContactPhone>,
    pub custom_fields: serde_json::Value,
}

/// Search filters; all given ones must match.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Lower-case substring pattern of name, company or email, already escaped for `like`.
    pub search: Option<String>,
    /// Exact E.164 number among the contact's numbers.
    pub phone: Option<String>,
    /// Exact (lower-case) email.
    pub email: Option<String>,
}

struct Row {
    id: Uuid,
    name: String,
    company: Option<String>,
    email: Option<String>,
    notes: Option<String>,
    phones: Json<Vec<ContactPhone>>,
    custom_fields: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Contact {
    fn from(r: Row) -> Contact {
        Contact {
            id: r.id,
            name: r.name,
            company: r.company,
            email: r.email,
            notes: r.notes,
            phones: r.phones.0,
            custom_fields: r.custom_fields,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[tracing::instrument(level = "debug", skip(conn, filter))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &ContactFilter,
    page: PageRequest,
) -> Result<(Vec<Contact>, Option<Uuid>), sqlx::Error> {
    // Two statements rather than one with `($n is null or ...)`: a prepared statement's generic
    // plan cannot drop the unused branch, and a lookup by number (every inbound call's screen
    // pop) must start from the number index, not scan the tenant's contacts.
    let rows = match &filter.phone {
        Some(number) => {
            sqlx::query_as!(
                Row,
                r#"select c.id, c.name, c.company, c.email, c.notes, c.custom_fields, c.created_at, c.updated_at,
                      coalesce((select jsonb_agg(jsonb_build_object('number', p.number, 'label', p.label) order by p.position)
                                from contact_phone p where p.tenant_id = c.tenant_id and p.contact_id = c.id),
                               '[]') as "phones!: Json<Vec<ContactPhone>>"
                   from contact c
                   where c.tenant_id = $1
                     and c.id in (select p.contact_id from contact_phone p where p.tenant_id = $1 and p.number = $2)
                     and ($3::uuid is null or c.id > $3)
                     and ($4::text is null or c.search_text like $4)
                     and ($5::text is null or c.email = $5)
                   order by c.id limit $6"#,
                tenant.0,
                number,
                page.after,
                filter.search,
                filter.email,
                page.fetch_limit()
            )
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as!(
                Row,
                r#"select c.id, c.name, c.company, c.email, c.notes, c.custom_fields, c.created_at, c.updated_at,
                      coalesce((select jsonb_agg(jsonb_build_object('number', p.number, 'label', p.label) order by p.position)
                                from contact_phone p where p.tenant_id = c.tenant_id and p.contact_id = c.id),
                               '[]') as "phones!: Json<Vec<ContactPhone>>"
                   from contact c
                   where c.tenant_id = $1
                     and ($2::uuid is null or c.id > $2)
                     and ($3::text is null or c.search_text like $3)
                     and ($4::text is null or c.email = $4)
                   order by c.id limit $5"#,
                tenant.0,
                page.after,
                filter.search,
                filter.email,
                page.fetch_limit()
            )
            .fetch_all(conn)
            .await?
        }
    };
    let (rows, next) = page.finish(rows, |r| r.id);
    Ok((rows.into_iter().map(Contact::from).collect(), next))
}

pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Contact>, sqlx::Error> {
    let row = sqlx::query_as!(
        Row,
        r#"select c.id, c.name, c.company, c.email, c.notes, c.custom_fields, c.created_at, c.updated_at,
              coalesce((select jsonb_agg(jsonb_build_object('number', p.number, 'label', p.label) order by p.position)
                        from contact_phone p where p.tenant_id = c.tenant_id and p.contact_id = c.id),
                       '[]') as "phones!: Json<Vec<ContactPhone>>"
           from contact c
           where c.tenant_id = $1 and c.id = $2"#,
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Contact::from))
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    fields: &ContactFields,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into contact (id, tenant_id, name, company, email, notes, custom_fields)
         values ($1, $2, $3, $4, $5, $6, $7)",
        id,
        tenant.0,
        fields.name,
        fields.company,
        fields.email,
        fields.notes,
        fields.custom_fields
    )
    .execute(&mut *conn)
    .await?;
    replace_phones(conn, tenant, id, &fields.phones).await
}

/// Overwrite a contact with `fields` (the handler merges a patch first). Whether it existed.
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    fields: &ContactFields,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update contact set name = $3, company = $4, email = $5, notes = $6, custom_fields = $7,
                updated_at = now()
         where tenant_id = $1 and id = $2",
        tenant.0,
        id,
        fields.name,
        fields.company,
        fields.email,
        fields.notes,
        fields.custom_fields
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    replace_phones(conn, tenant, id, &fields.phones).await?;
    Ok(true)
}

async fn replace_phones(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    phones: &[ContactPhone],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from contact_phone where tenant_id = $1 and contact_id = $2",
        tenant.0,
        id
    )
    .execute(&mut *conn)
    .await?;
    let numbers: Vec<String> = phones.iter().map(|p| p.number.clone()).collect();
    let labels: Vec<Option<String>> = phones.iter().map(|p| p.label.clone()).collect();
    sqlx::query!(
        "insert into contact_phone (tenant_id, contact_id, position, number, label)
         select $1, $2, p.ord::int, p.number, p.label
         from unnest($3::text[], $4::text[]) with ordinality as p(number, label, ord)",
        tenant.0,
        id,
        &numbers,
        &labels as &[Option<String>]
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from contact where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
