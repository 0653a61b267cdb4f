# Shared helpers of the scripts in this directory. Sourced, not run.

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install Debian/Ubuntu packages that are missing. Usage: ensure_packages pkg...
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "error: please install: ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

# The directory of the newest PostgreSQL server binaries, or nothing.
pg_bindir() {
  # Debian links some tools into /usr/local/bin or /usr/bin; the real directory has them all.
  if command -v initdb >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the embedded database and tests.
ensure_postgres_binaries() {
  if [ -z "$(pg_bindir)" ] || [ ! -x "$(pg_bindir)/initdb" ]; then
    ensure_packages postgresql
  fi
}

# Whether a PostgreSQL server answers on 127.0.0.1:$1.
pg_up() {
  "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$1" 2>/dev/null
}

# Start a throwaway PostgreSQL cluster on 127.0.0.1:$2 with its files in $1 (trust auth,
# superuser `postgres`). As root it runs as the `postgres` system user, which PostgreSQL requires.
start_throwaway_postgres() {
  local dir=$1 port=$2 bin run=()
  bin=$(pg_bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off" start >/dev/null
}

stop_throwaway_postgres() {
  local dir=$1 run=()
  [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$(pg_bindir)/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

# Headless Chromium and Playwright for the browser end-to-end tests: Debian's chromium, Node.js,
# and e2e/node_modules from the committed lock file.
ensure_e2e_browser() {
  ensure_packages chromium
  command -v node >/dev/null || ensure_packages nodejs npm
  if [ ! -d e2e/node_modules/playwright-core ]; then
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# What building Switchboard needs besides Rust: libopus (Opus for browser legs on poor
# networks, linked through pkg-config) and a C compiler (present wherever rustup works).
ensure_build_deps() {
  ensure_packages libopus-dev pkg-config
}
