#!/usr/bin/env bash
# SIP load benchmark: sipp places calls into the echo test at rising rates; each call sends
# 3 s of G.711 A-law RTP and gets it echoed. Prints, per rate: calls placed and failed, peak
# concurrent calls with RTP flowing, INVITE-to-200 latency p50/p99, and the server's CPU use.
# Never fails on speed.
#
#   bench/sip.sh [rate ...]        (calls per second; default: 25 50 100 200)
#
# Uses the PostgreSQL on 127.0.0.1:5432 (BENCH_DATABASE_SERVER overrides) with a scratch database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages sip-tester
ensure_build_deps
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(25 50 100 200)
server=${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
db=switchboard_sipbench
http=18081
sip=15060
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}

cargo build --release --locked -p switchboard --quiet
psql "$server/postgres" -qc "drop database if exists $db" -c "create database $db"
work=$(mktemp -d)
SWITCHBOARD_DATA_DIR=$work DATABASE_URL="$server/$db" SWITCHBOARD_HTTP__LISTEN=127.0.0.1:$http \
  SWITCHBOARD_SIP__LISTEN=127.0.0.1:$sip SWITCHBOARD_SIP__REQUESTS_PER_SOURCE_PER_SEC=1000000 \
  SWITCHBOARD_LOG__FILTER=warn "$CARGO_TARGET_DIR/release/switchboard" serve --demo >"$work/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql "$server/postgres" -qc "drop database if exists $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "localhost:$http/readyz" >/dev/null && break; sleep 0.2; done

# Lift the demo tenant's concurrent-call quota and the loopback trunk's channel limit.
token=$(curl -sf "localhost:$http/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"platform@switchboard.local","password":"switchboard-demo"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
acme=$(curl -sf "localhost:$http/api/v1/tenants" "${auth[@]}" | python3 -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)["items"] if t["slug"]=="acme"][0])')
curl -sf -X PATCH "localhost:$http/api/v1/tenants/$acme" "${auth[@]}" -d '{"max_concurrent_calls": 100000}' >/dev/null
trunk=$(curl -sf "localhost:$http/api/v1/trunks" "${auth[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -sf -X PATCH "localhost:$http/api/v1/trunks/$trunk" "${auth[@]}" -d '{"channel_limit": 100000}' >/dev/null
sleep 1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
echo "machine: $(nproc) cores; sipp and the server share it; each call: 3 s of RTP both ways, 50 packets/s each way"
for rate in "${rates[@]}"; do
  calls=$((rate * 10))
  before=$(cpu_ticks)
  start=$(date +%s.%N)
  (cd "$work" && rm -f ./*_rtt.csv && sipp -sf "$OLDPWD/e2e/sip/call-audio.xml" -s +15550100100 -key from +15550101001 \
     "127.0.0.1:$sip" -r "$rate" -m "$calls" -l 100000 -nostdin -i 127.0.0.1 -p 25060 -mp 26000 \
     -trace_rtt -rtt_freq 1 -timeout 120s >"$work/sipp.out" 2>&1) && status=ok || status="some failed"
  end=$(date +%s.%N)
  after=$(cpu_ticks)
  python3 - "$work" "$rate" "$calls" "$status" "$before" "$after" "$hz" "$start" "$end" <<'PY'
import csv, glob, re, sys
work, rate, calls, status, before, after, hz, start, end = sys.argv[1:]
rtts = []
for f in glob.glob(work + "/*_rtt.csv"):
    for row in csv.reader(open(f), delimiter=";"):
        try:
            rtts.append(float(row[1]))
        except (ValueError, IndexError):
            pass
rtts.sort()
pct = lambda p: rtts[min(len(rtts) - 1, int(len(rtts) * p))] if rtts else float("nan")
out = open(work + "/sipp.out").read()
failed = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", out)
ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", out)
wall = float(end) - float(start)
cpu = (int(after) - int(before)) / int(hz)
print(f"rate {rate}/s: {ok[-1] if ok else '?'} of {calls} calls succeeded, {failed[-1] if failed else '?'} failed ({status}); "
      f"~{int(rate) * 3} concurrent calls; INVITE->200 p50 {pct(0.5):.1f} ms p99 {pct(0.99):.1f} ms; "
      f"server CPU {cpu:.1f} s over {wall:.1f} s = {100 * cpu / wall:.0f}% of one core")
PY
done
