#!/usr/bin/env bash
# Bridged-call load benchmark: a real server process pinned to CPU 0; simulated browsers (str0m
# peers over real UDP, signed in over the WebSocket) and the carrier's media on CPU 1, with
# sipp placing the calls. Prints server CPU per call per 20 ms, loss and one-way delay both
# ways, and memory per signed-in agent and per live call. Never fails on speed.
#
#   bench/webrtc.sh [calls] [seconds]      (default: 100 calls, 30 s measured)
#
# Uses the PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_URL overrides) with a scratch database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages sip-tester
ensure_build_deps
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}
cargo bench --locked -p switchboard --bench bridge_load --no-run --quiet
SERVER_CPU=0 taskset -c 1 cargo bench --locked -p switchboard --bench bridge_load --quiet -- "${1:-100}" "${2:-30}"
