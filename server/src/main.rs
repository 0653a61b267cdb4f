//! The `switchboard` command: parse the command line, load settings, start logging, run.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use switchboard::store::Database;
use switchboard::{Application, Settings, demo, startup, telemetry};

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard contact-center server"
)]
struct Cli {
    /// A TOML settings file (environment variables SWITCHBOARD_* override it).
    #[arg(long, short, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// Seed the demo tenants `acme` and `globex` (once) and print their logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init_logging(&settings.log);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let app = Application::build(settings).await?;
            if demo {
                demo::seed(app.store()).await.context("seeding the demo")?;
                demo::seed_history(app.store())
                    .await
                    .context("seeding the demo's earlier calls")?;
                app.reload_routing().await?;
                demo::print_logins(app.local_addr(), app.sip_addr());
            }
            app.run_until(startup::shutdown_signal()).await
        }
        Command::Migrate => {
            let data_dir = settings.data_dir.clone();
            let db = settings.database.clone();
            let mut database =
                tokio::task::spawn_blocking(move || Database::locate(&db, &data_dir)).await??;
            database.migrate().await?;
            tracing::info!("migrations applied");
            if let Some(mut pg) = database.embedded.take() {
                tokio::task::spawn_blocking(move || pg.stop()).await??;
            }
            Ok(())
        }
    }
}
