#!/usr/bin/env bash
# Load benchmark of the HTTP API: authenticated GET /api/v1/me and contact search, with wrk
# against a release build on an external PostgreSQL. Prints requests per second and latency
# percentiles; never fails on speed.
#
#   bench/api.sh [duration=20s] [connections=32] [threads=2]
#
# Uses the PostgreSQL on 127.0.0.1:5432 (override with BENCH_DATABASE_SERVER); creates and drops
# a scratch database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages wrk
ensure_build_deps
duration=${1:-20s}
conns=${2:-32}
threads=${3:-2}
server=${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
db=switchboard_bench
port=${BENCH_PORT:-18080}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}

cargo build --release --locked -p switchboard --quiet
psql "$server/postgres" -qc "drop database if exists $db" -c "create database $db"
data=$(mktemp -d)
SWITCHBOARD_DATA_DIR=$data DATABASE_URL="$server/$db" SWITCHBOARD_HTTP__LISTEN=127.0.0.1:$port \
  SWITCHBOARD_LOG__FILTER=warn "$CARGO_TARGET_DIR/release/switchboard" serve --demo >"$data/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql "$server/postgres" -qc "drop database if exists $db" || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done

# Add contacts so the search runs over a realistic table: 20,000 in acme.
token=$(curl -sf "localhost:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"tenant":"acme","email":"admin@acme.example","password":"switchboard-demo"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
psql "$server/$db" -q <<'SQL'
begin;
select set_config('app.tenant_id', (select id::text from tenant where slug = 'acme'), true);
insert into contact (id, tenant_id, name, company)
  select gen_random_uuid(), current_tenant_id(), 'Customer ' || g, 'Company ' || (g % 500)
  from generate_series(1, 20000) g;
insert into contact_phone (tenant_id, contact_id, position, number)
  select tenant_id, id, 1, '+1202' || lpad((row_number() over (order by id))::text, 7, '0')
  from contact where name like 'Customer %';
commit;
analyze;
SQL

lua=$(mktemp --suffix .lua)
cat >"$lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
done = function(summary, latency, requests)
  io.write(string.format("  requests/s: %.0f   p50: %.2f ms   p99: %.2f ms   errors: %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
LUA
echo "machine: $(nproc) cores; wrk -t$threads -c$conns -d$duration; server and wrk share the machine"
for path in "/api/v1/me" "/api/v1/contacts?phone=(202)%20000-1234" "/api/v1/contacts?q=customer%201999&limit=20"; do
  echo "GET $path"
  wrk -t"$threads" -c"$conns" -d"$duration" -s "$lua" "http://127.0.0.1:$port$path" | grep -E "requests/s|Non-2xx"
done
rm -f "$lua"
