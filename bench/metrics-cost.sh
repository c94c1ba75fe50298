#!/usr/bin/env bash
# What /metrics costs on the uws example: the same load with METRICS=off and METRICS=on, in
# alternating runs so that noise from other work on the machine falls on both alike. Besides
# wrk's requests per second (which a busy machine swings widely), it reports the server's own
# CPU time per answered request (utime + stime from /proc/<pid>/stat), which contention moves
# far less. The server is pinned to CPU 0, wrk to CPU 1. Needs Linux, taskset and wrk.
#   bash bench/metrics-cost.sh [rounds=4] [seconds=8] [connections=100]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4} seconds=${2:-8} connections=${3:-100}
port=$((20000 + RANDOM % 20000))
ticks=$(getconf CLK_TCK)
# The example as `pnpm start` runs it: transpiled once, then plain node.
(cd examples/uws && node ../transpile.mjs)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() {
  local mode=$1 log pid before after out requests rps
  log=$(mktemp)
  PORT=$port METRICS=$mode taskset -c 0 node --conditions=workspace-js examples/uws/js/main.js >"$log" 2>&1 &
  pid=$!
  until grep -q listening "$log"; do sleep 0.2; done
  # Scraped once, as Prometheus would: prom-client loads and its collectors start at the first scrape.
  curl -s "http://127.0.0.1:$port/metrics" >/dev/null || true
  # Warm-up: JIT and the user set, not measured.
  taskset -c 1 wrk -t1 -c"$connections" -d2s -s bench/wrk/event.lua "http://127.0.0.1:$port" -- 1 >/dev/null
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" -s bench/wrk/event.lua "http://127.0.0.1:$port" -- 1)
  after=$(cpu_ticks "$pid")
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "$log"
  awk -v r="$rps" -v n="$requests" -v t=$((after - before)) -v hz="$ticks" \
    'BEGIN { printf "%s\t%.2f", r, 1e6 * t / hz / n }'
}
printf 'round\toff req/s\toff CPU µs/req\ton req/s\ton CPU µs/req\n'
for ((r = 1; r <= rounds; r++)); do
  printf '%d\t%s\t%s\n' "$r" "$(run off)" "$(run on)"
done
