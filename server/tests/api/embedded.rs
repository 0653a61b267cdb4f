//! The embedded PostgreSQL: created on first start, reachable only on its socket, stopped on
//! shutdown, and started again over a stale pid file left by a crash.

use std::path::PathBuf;

use sqlx::{ConnectOptions, Connection};
use switchboard::store::EmbeddedPostgres;

fn temp_dir() -> PathBuf {
    // Short: the socket path inside must stay under 107 bytes.
    PathBuf::from(format!(
        "/tmp/sbpg-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ))
}

#[tokio::test]
async fn the_embedded_cluster_starts_serves_stops_and_recovers_a_stale_pid() {
    let dir = temp_dir();
    let pg = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || EmbeddedPostgres::start(&dir)
    })
    .await
    .expect("join")
    .expect("embedded PostgreSQL starts");
    let mut conn = pg
        .connect_options()
        .connect()
        .await
        .expect("connect over the socket");
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&mut conn)
        .await
        .expect("query");
    assert_eq!(one, 1);
    let listen: String = sqlx::query_scalar("show listen_addresses")
        .fetch_one(&mut conn)
        .await
        .expect("query");
    assert_eq!(listen, "", "no TCP listener");
    conn.close().await.ok();

    let mut pg = pg;
    tokio::task::spawn_blocking(move || pg.stop().map(|()| pg))
        .await
        .expect("join")
        .expect("stop");
    assert!(
        !dir.join("postmaster.pid").exists(),
        "a clean stop removes the pid file"
    );

    // A crash leaves a pid file naming a process that is gone.
    std::fs::write(dir.join("postmaster.pid"), "999999\n").expect("write stale pid");
    let pg = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || EmbeddedPostgres::start(&dir)
    })
    .await
    .expect("join")
    .expect("starts again over a stale pid file");
    let mut conn = pg.connect_options().connect().await.expect("connect again");
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&mut conn)
        .await
        .expect("query");
    assert_eq!(db, "switchboard");
    conn.close().await.ok();
    tokio::task::spawn_blocking(move || drop(pg))
        .await
        .expect("stop on drop");
    std::fs::remove_dir_all(&dir).ok();
}
