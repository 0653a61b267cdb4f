//! Building and running the application: settings in, bound listener and running server out.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::{self, AppState, LoginLimits};
use crate::auth::{JwtKeys, load_jwt_secret};
use crate::calls::Agents;
use crate::calls::Controller;
use crate::routing::Routing;
use crate::settings::Settings;
use crate::store::{Database, Store};

/// A built application: the database is migrated and the listener bound.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    database: Database,
    store: Store,
    calls: Option<Controller>,
    agents: Agents,
}

impl Application {
    /// Resolve the database (starting the embedded one if no URL is set), migrate, bind.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db_settings = settings.database.clone();
        let data_dir = settings.data_dir.clone();
        let database =
            tokio::task::spawn_blocking(move || Database::locate(&db_settings, &data_dir))
                .await
                .context("database start-up task")??;
        if settings.database.migrate_on_start {
            database.migrate().await.context("running migrations")?;
        }
        let pool = database
            .app_pool(settings.database.max_connections)
            .await
            .context("connecting the application pool")?;
        let store = Store::new(pool);
        let secret = load_jwt_secret(settings.auth.jwt_secret.as_ref(), &settings.data_dir)
            .context("loading the access-token signing key")?;
        let jwt = JwtKeys::new(&secret, &settings.auth.issuer, &settings.auth.audience);
        let listener = TcpListener::bind(settings.http.listen)
            .await
            .with_context(|| format!("binding {}", settings.http.listen))?;
        let (numbers_changed, numbers_rx) = tokio::sync::watch::channel(0);
        // The composition root: the SIP stack (when enabled), then the desks and the routers
        // (which exist without SIP too), then the call controller over all of them.
        let stack = if settings.sip.enabled {
            Some(
                crate::telephony::transport::bind(&settings.sip)
                    .await
                    .context("binding SIP")?,
            )
        } else {
            None
        };
        // Browsers are told this address when WebRTC listens on all interfaces.
        let fallback_ip = stack.as_ref().map_or(
            settings
                .sip
                .public_ip
                .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
            |s| s.media_ip,
        );
        let (desks, legs) = crate::desks::start(&settings.media, fallback_ip)
            .await
            .context("starting the desks' WebRTC media")?;
        let recordings = settings
            .media
            .recordings_dir
            .clone()
            .unwrap_or_else(|| settings.data_dir.join("recordings"));
        let agents = Agents::start(
            desks,
            legs,
            Arc::new(crate::recording::LocalRecordings::new(recordings)),
            settings.media.record_calls,
            store.clone(),
        );
        let routers = Routing::new(store.clone(), Arc::new(agents.clone()));
        agents.on_change({
            let routers = routers.clone();
            move |tenant, change| routers.desk_changed(tenant, change)
        });
        let calls = match stack {
            Some(stack) => Some(
                Controller::start(
                    stack,
                    settings.sip.clone(),
                    settings.media.clone(),
                    store.clone(),
                    (agents.clone(), routers.clone()),
                    numbers_rx,
                )
                .await
                .context("starting the call controller")?,
            ),
            None => None,
        };
        let state = AppState {
            store: store.clone(),
            login_limits: Arc::new(Mutex::new(LoginLimits::new(&settings))),
            settings: Arc::new(settings),
            jwt: Arc::new(jwt),
            metrics: crate::telemetry::metrics_handle(),
            numbers_changed: Arc::new(numbers_changed),
            calls: calls.as_ref().map(Controller::control),
            agents: agents.clone(),
            routers: routers.clone(),
        };
        Ok(Application {
            listener,
            router: api::router(state),
            database,
            store,
            calls,
            agents,
        })
    }

    /// The address the HTTP API is bound to (port 0 in the settings picks a free one).
    pub fn local_addr(&self) -> SocketAddr {
        // A bound TcpListener always has a local address.
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Where SIP (UDP and TCP) is served, when the SIP edge runs.
    pub fn sip_addr(&self) -> Option<SocketAddr> {
        self.calls.as_ref().map(|c| c.addr)
    }

    /// Where browsers send WebRTC media.
    pub fn webrtc_addr(&self) -> SocketAddr {
        self.agents.hub().addr
    }

    /// Reload the call controller's trunks and numbers now (after seeding them directly).
    pub async fn reload_routing(&self) -> anyhow::Result<()> {
        match &self.calls {
            Some(calls) => calls.reload().await,
            None => Ok(()),
        }
    }

    /// The store, for seeding (demo data, tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serve until `shutdown` resolves, then finish in-flight requests, close the pool and stop
    /// the embedded database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "HTTP API listening");
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("HTTP server")?;
        tracing::info!("HTTP API drained");
        if let Some(calls) = self.calls {
            calls.shutdown().await;
        }
        self.store.pool().close().await;
        let mut database = self.database;
        if let Some(mut pg) = database.embedded.take() {
            tokio::task::spawn_blocking(move || pg.stop())
                .await
                .context("stopping the embedded database")??;
        }
        Ok(())
    }
}

/// Resolves on SIGTERM (Kubernetes) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining");
}
