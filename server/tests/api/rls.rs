//! The second wall alone: raw queries through the application's pool, with the store's tenant
//! filter bypassed, see only the tenant set on the transaction, and nothing with none set.

use sqlx::Row;

use crate::helpers::spawn_app;

const TABLES: [&str; 11] = [
    "tenant",
    "app_user",
    "contact",
    "contact_phone",
    "audit_log",
    "refresh_token",
    "api_key",
    "trunk",
    "phone_number",
    "call",
    "prompt",
];

#[tokio::test]
async fn row_level_security_hides_other_tenants_rows_from_raw_queries() {
    let app = spawn_app().await;
    // Make a refresh token and an API key exist for acme.
    app.login(Some("acme"), "admin@acme.example").await;
    let acme = app.tenant_id("acme").await;
    let globex = app.tenant_id("globex").await;

    let mut tx = app.store.tenant_tx(globex).await.expect("tx");
    for table in TABLES {
        let column = if table == "tenant" { "id" } else { "tenant_id" };
        let leaked: i64 = sqlx::query(&format!("select count(*) from {table} where {column} = $1"))
            .bind(acme.0)
            .fetch_one(&mut *tx)
            .await
            .expect("query")
            .get(0);
        assert_eq!(leaked, 0, "{table}: globex sees acme rows");
    }
    let own: i64 = sqlx::query("select count(*) from contact")
        .fetch_one(&mut *tx)
        .await
        .expect("q")
        .get(0);
    assert_eq!(own, 3, "globex sees its own three contacts");
    let tenants: i64 = sqlx::query("select count(*) from tenant")
        .fetch_one(&mut *tx)
        .await
        .expect("q")
        .get(0);
    assert_eq!(tenants, 1);
    // Writing into another tenant is refused by the policy's check.
    let insert = sqlx::query(
        "insert into contact (id, tenant_id, name) values (gen_random_uuid(), $1, 'x')",
    )
    .bind(acme.0)
    .execute(&mut *tx)
    .await;
    assert!(
        insert.is_err(),
        "insert into acme from globex's transaction succeeded"
    );
    drop(tx);

    // Updates and deletes of another tenant's rows touch nothing.
    let mut tx = app.store.tenant_tx(globex).await.expect("tx");
    let updated = sqlx::query("update contact set name = 'hijacked' where tenant_id = $1")
        .bind(acme.0)
        .execute(&mut *tx)
        .await
        .expect("update");
    assert_eq!(updated.rows_affected(), 0);
    let deleted = sqlx::query("delete from app_user where tenant_id = $1")
        .bind(acme.0)
        .execute(&mut *tx)
        .await
        .expect("delete");
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn with_no_tenant_set_nothing_is_visible() {
    let app = spawn_app().await;
    app.login(Some("acme"), "admin@acme.example").await;
    let mut conn = app.store.pool().acquire().await.expect("connection");
    for table in TABLES {
        let n: i64 = sqlx::query(&format!("select count(*) from {table}"))
            .fetch_one(&mut *conn)
            .await
            .expect("query")
            .get(0);
        assert_eq!(n, 0, "{table} visible without a tenant");
    }
    let role: String = sqlx::query("select current_user")
        .fetch_one(&mut *conn)
        .await
        .expect("q")
        .get(0);
    assert_eq!(role, "switchboard_app");
    // The application's role owns nothing, so it cannot switch the policies off.
    let disable = sqlx::query("alter table contact disable row level security")
        .execute(&mut *conn)
        .await;
    assert!(disable.is_err());
}

#[tokio::test]
async fn a_tenant_setting_does_not_outlive_its_transaction() {
    let app = spawn_app().await;
    let acme = app.tenant_id("acme").await;
    // One connection in the pool would be reused; the setting is transaction-local.
    let tx = app.store.tenant_tx(acme).await.expect("tx");
    tx.commit().await.expect("commit");
    let mut conn = app.store.pool().acquire().await.expect("connection");
    let n: i64 = sqlx::query("select count(*) from contact")
        .fetch_one(&mut *conn)
        .await
        .expect("q")
        .get(0);
    assert_eq!(n, 0);
}
