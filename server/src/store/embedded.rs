//! An embedded PostgreSQL cluster that Switchboard runs itself, so one command brings up a
//! working system with no set-up. It uses the system's server binaries (`initdb`, `pg_ctl`,
//! `postgres`), keeps its files under the data directory, and listens only on a Unix socket
//! inside that directory (no TCP port).
//!
//! PostgreSQL refuses to run as root, so when Switchboard runs as root the cluster runs as the
//! unprivileged `postgres` system account that Debian's package creates.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::postgres::PgConnectOptions;

/// The superuser created by `initdb` and the database the application uses.
const SUPERUSER: &str = "postgres";
const DATABASE: &str = "switchboard";
/// The socket's name is `.s.PGSQL.<port>`; no TCP port is opened.
const PORT: u16 = 5432;

/// Why the embedded cluster could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No PostgreSQL server binaries on `PATH` or in `/usr/lib/postgresql/*/bin`.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or in \
         /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install postgresql`) \
         or point Switchboard at a server with DATABASE_URL"
    )]
    BinariesNotFound,
    /// Running as root and there is no unprivileged account to run the server as.
    #[error(
        "Switchboard runs as root and PostgreSQL refuses to; no `postgres` system user exists to \
         run it as. Install Debian's postgresql package (it creates the user) or set DATABASE_URL"
    )]
    NoUnprivilegedUser,
    /// The unprivileged account cannot reach the data directory.
    #[error(
        "the `postgres` user cannot reach {0}: make its parent directories searchable \
         (chmod o+x) or choose another data directory (SWITCHBOARD_DATA_DIR)"
    )]
    Unreachable(PathBuf),
    /// The socket path would exceed the 107-byte limit of Unix sockets.
    #[error("the data directory path {0} is too long for a Unix socket; use a shorter one")]
    PathTooLong(PathBuf),
    /// A PostgreSQL tool failed.
    #[error("`{tool}` failed: {stderr}")]
    Tool { tool: String, stderr: String },
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    let context = context.into();
    move |source| EmbeddedError::Io { context, source }
}

/// A running embedded cluster. Stop it with [`EmbeddedPostgres::stop`]; dropping it stops it too.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
    stopped: bool,
}

impl EmbeddedPostgres {
    /// Create the cluster under `dir` on first use, recover a stale pid file left by a crash,
    /// and start the server. Blocks until it accepts connections.
    pub fn start(dir: &Path) -> Result<EmbeddedPostgres, EmbeddedError> {
        let bin = find_binaries().ok_or(EmbeddedError::BinariesNotFound)?;
        fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(io(format!("resolving {}", dir.display())))?;
        if dir.join(format!(".s.PGSQL.{PORT}")).as_os_str().len() > 107 {
            return Err(EmbeddedError::PathTooLong(dir));
        }
        let run_as = if running_as_root() {
            let ids = lookup_user(SUPERUSER).ok_or(EmbeddedError::NoUnprivilegedUser)?;
            check_reachable(&dir, ids.0)?;
            std::os::unix::fs::chown(&dir, Some(ids.0), Some(ids.1)).map_err(io(format!(
                "handing {} to the postgres user",
                dir.display()
            )))?;
            Some(ids)
        } else {
            None
        };
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(io(format!("restricting {}", dir.display())))?;
        let pg = EmbeddedPostgres {
            dir,
            bin,
            run_as,
            stopped: false,
        };
        if !pg.dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %pg.dir.display(), "creating the embedded PostgreSQL cluster");
            pg.tool("initdb")
                .arg("-D")
                .arg(&pg.dir)
                .args([
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ])
                .args(["--no-instructions"])
                .output()
                .map_err(io("running initdb"))
                .and_then(|o| check("initdb", o))?;
        }
        pg.recover_stale_pid();
        if pg.is_running() {
            tracing::warn!("the embedded PostgreSQL was still running (unclean stop); reusing it");
        } else {
            let options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' \
                 -c unix_socket_permissions=0700 -p {PORT}",
                pg.dir.display()
            );
            pg.tool("pg_ctl")
                .arg("-D")
                .arg(&pg.dir)
                .args(["-w", "-t", "60", "-l"])
                .arg(pg.dir.join("server.log"))
                .args(["-o", &options, "start"])
                .output()
                .map_err(io("running pg_ctl start"))
                .and_then(|o| check("pg_ctl start", o))?;
            tracing::info!(dir = %pg.dir.display(), "embedded PostgreSQL started");
        }
        pg.ensure_database()?;
        Ok(pg)
    }

    /// Options to connect to the `switchboard` database over the cluster's socket as the
    /// superuser (who runs migrations; the application switches to `switchboard_app`).
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(DATABASE)
    }

    /// Options for the maintenance database `postgres`.
    pub fn admin_connect_options(&self) -> PgConnectOptions {
        self.connect_options().database("postgres")
    }

    /// The cluster's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fast shutdown: active sessions are ended, the cluster is consistent on disk.
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        self.tool("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-w", "-m", "fast", "stop"])
            .output()
            .map_err(io("running pg_ctl stop"))
            .and_then(|o| check("pg_ctl stop", o))?;
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    fn tool(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        // The tools' own messages are localised; we parse none of them, but keep logs readable.
        cmd.env("LC_ALL", "C.UTF-8").env_remove("PGDATA");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", &self.dir);
        }
        cmd
    }

    fn is_running(&self) -> bool {
        self.tool("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// A crash leaves `postmaster.pid` behind. PostgreSQL refuses to start if the pid in it
    /// belongs to a live process, which after a reboot can be any process; a pid file whose
    /// postmaster is not answering is removed.
    fn recover_stale_pid(&self) {
        let pid_file = self.dir.join("postmaster.pid");
        let Ok(contents) = fs::read_to_string(&pid_file) else {
            return;
        };
        let pid_alive = contents
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<u32>().ok())
            .is_some_and(|pid| {
                fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim() == "postgres")
            });
        if !pid_alive {
            tracing::warn!("removing a stale postmaster.pid left by an unclean stop");
            if let Err(e) = fs::remove_file(&pid_file) {
                tracing::warn!(error = %e, "could not remove the stale pid file");
            }
        }
    }

    fn ensure_database(&self) -> Result<(), EmbeddedError> {
        let socket = self.dir.display().to_string();
        let psql = |sql: &str| -> Result<Output, EmbeddedError> {
            self.tool("psql")
                .args(["-h", &socket, "-p", &PORT.to_string(), "-U", SUPERUSER])
                .args([
                    "-d",
                    "postgres",
                    "-XAtq",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    sql,
                ])
                .output()
                .map_err(io("running psql"))
        };
        let out = check(
            "psql",
            psql("select 1 from pg_database where datname = 'switchboard'")?,
        )?;
        if String::from_utf8_lossy(&out.stdout).trim() != "1" {
            check("psql", psql(&format!("create database {DATABASE}"))?)?;
        }
        Ok(())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::error!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

fn check(tool: &str, out: Output) -> Result<Output, EmbeddedError> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(EmbeddedError::Tool {
            tool: tool.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// The directory holding `initdb`, `pg_ctl`, `postgres` and `psql`: `PATH` first, then the
/// newest `/usr/lib/postgresql/<version>/bin` (Debian keeps them all there).
fn find_binaries() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres", "psql"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    // Tools on PATH are often links into the versioned directory; follow them there.
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path)
            .filter_map(|d| d.join("initdb").canonicalize().ok())
            .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
            .find(|d| has_all(d))
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_all(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `(uid, gid)` of a system user, from `/etc/passwd`.
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// Every ancestor of `dir` must be searchable by `uid` (owned by it or with the `x` bit for
/// others), or the server cannot open its own files.
fn check_reachable(dir: &Path, uid: u32) -> Result<(), EmbeddedError> {
    for ancestor in dir.ancestors().skip(1) {
        let meta =
            fs::metadata(ancestor).map_err(io(format!("inspecting {}", ancestor.display())))?;
        let mode = meta.permissions().mode();
        if meta.uid() != uid && mode & 0o001 == 0 {
            return Err(EmbeddedError::Unreachable(dir.to_owned()));
        }
    }
    Ok(())
}
