#!/usr/bin/env bash
# What /metrics costs on the uws example, in instructions: the server runs under valgrind's
# callgrind, which counts the instructions it executes (user space, every thread) whatever else
# the machine is doing, so the figure repeats where wrk's req/s and the server's CPU time swing
# ±15 % from run to run (bench/metrics-cost.sh). Each mode (METRICS=off, METRICS=on) serves
# <small> and then <large> events in separate runs; the difference of the two totals, divided by
# <large> - <small>, is the cost of one event, start-up and warm-up cancelled out. Both modes are
# scraped once first (prom-client loads at the first scrape; off answers 404).
# The kernel's part of a request (the socket reads and writes, the same calls in both modes) is
# not counted, so the ratio of user-space instructions is an upper bound on the whole cost.
# The server runs with V8's --single-threaded: with background compiler threads, when optimised
# code arrives depends on how valgrind schedules the threads, which moves the count.
# Needs Linux, valgrind and curl.
#   bash bench/metrics-instructions.sh [rounds=2] [small=5000] [large=25000] [connections=100]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2} small=${2:-5000} large=${3:-25000} connections=${4:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd examples/uws && node ../transpile.mjs)
instructions() {
  local mode=$1 events=$2 port pid
  port=$((20000 + RANDOM % 20000))
  PORT=$port METRICS=$mode valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
    node --single-threaded --conditions=workspace-js examples/uws/js/main.js >"$work/server.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.5; done
  curl -s "http://127.0.0.1:$port/metrics" >/dev/null
  node --conditions=source --import tsx scripts/challenge.ts --url "http://127.0.0.1:$port" \
    --requests "$events" --concurrency "$connections" >"$work/client.log" 2>&1 ||
    { cat "$work/client.log" >&2; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || true
  awk '/^totals:/ { print $2 }' "$work/cg.$pid"
  rm -f "$work/cg.$pid"
}
printf 'round\tmode\tinstructions at %d\tat %d\tper event\n' "$small" "$large"
for ((r = 1; r <= rounds; r++)); do
  for mode in off on; do
    a=$(instructions "$mode" "$small")
    b=$(instructions "$mode" "$large")
    awk -v r="$r" -v m="$mode" -v a="$a" -v b="$b" -v n=$((large - small)) \
      'BEGIN { printf "%d\t%s\t%d\t%d\t%.0f\n", r, m, a, b, (b - a) / n }'
  done
done
