#!/usr/bin/env bash
# What /metrics costs on the uws example: METRICS=off against METRICS=on under the same load.
# Besides wrk's requests per second it reports each server's own CPU time per answered request
# (utime + stime from /proc/<pid>/stat), which contention moves far less. Servers on CPU 0, wrk
# on CPU 1. Needs Linux, taskset and wrk.
#
#   bash bench/metrics-cost.sh [rounds=4] [seconds=8] [connections=100]
#     alternating runs: one server at a time, off then on, for each round.
#   PAIRED=1 bash bench/metrics-cost.sh [rounds] [seconds] [connections]
#     both servers at once, sharing CPU 0, each loaded by its own wrk (both on CPU 1): whatever
#     the machine does during a round falls on both alike, so the per-round ratio of their CPU
#     per request is far steadier than two runs taken one after the other. A=on B=on (or off,
#     off) runs the same server twice: how far from 1 the ratio strays with no difference at all.
#     Each server then reads fewer requests per event-loop turn than it would alone (about 5
#     against 12 here), which weighs on what metrics pay once per turn: a worst case for them.
#   SLICES=1 bash bench/metrics-cost.sh [slices=40] [seconds=2] [connections]
#     both servers up, wrk loading one at a time in short slices, off then on, for each slice:
#     each runs as it would alone, and adjacent slices share the machine's state. Noisier per
#     slice than PAIRED; it prints the ratio of the totals over every slice at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4} seconds=${2:-8} connections=${3:-100}
ticks=$(getconf CLK_TCK)
# The example as `pnpm start` runs it: transpiled once, then plain node.
(cd examples/uws && node ../transpile.mjs)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# start <mode> <log>: starts a server on a free port, waits for it, scrapes /metrics once (as
# Prometheus would: prom-client loads at the first scrape), and prints its pid and port.
start() {
  PORT=0 METRICS=$1 taskset -c 0 node --conditions=workspace-js examples/uws/js/main.js >"$2" 2>&1 &
  local pid=$! port
  until grep -q listening "$2"; do
    kill -0 "$pid" 2>/dev/null || { cat "$2" >&2; exit 1; }
    sleep 0.2
  done
  port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$2")
  curl -s "http://127.0.0.1:$port/metrics" >/dev/null || true
  echo "$pid $port"
}
# stop <pid>...: SIGTERM, then waits for each to exit (they are not this shell's children).
stop() {
  kill -TERM "$@"
  for pid in "$@"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
}
load() { taskset -c 1 wrk -t1 -c"$connections" -d"$1" -s bench/wrk/event.lua "http://127.0.0.1:$2" -- 1; }
# report <wrk output> <cpu ticks>: req/s and CPU µs per request.
report() {
  awk -v t="$2" -v hz="$ticks" '/requests in/ { n = $1 } /Requests\/sec/ { r = $2 }
    END { printf "%s\t%.2f", r, 1e6 * t / hz / n }' <<<"$1"
}

# both_up: starts the A (default off) and B (default on) servers, and warms each up.
both_up() {
  off_log=$(mktemp) on_log=$(mktemp)
  read -r off_pid off_port < <(start "${A:-off}" "$off_log")
  read -r on_pid on_port < <(start "${B:-on}" "$on_log")
  load 2s "$off_port" >/dev/null &
  load 2s "$on_port" >/dev/null
  wait
}
both_down() {
  stop "$off_pid" "$on_pid"
  rm -f "$off_log" "$on_log"
}
# ratio_row <off report> <on report>: both, and on's CPU per request over off's.
ratio_row() {
  awk -v off="$1" -v on="$2" 'BEGIN { split(off, a, "\t"); split(on, b, "\t");
    printf "%s\t%s\t%.4f", off, on, b[2] / a[2] }'
}

alternating() {
  local mode=$1 port log pid before out after
  log=$(mktemp)
  read -r pid port < <(start "$mode" "$log")
  load 2s "$port" >/dev/null # warm-up: JIT and the user set, not measured
  before=$(cpu_ticks "$pid")
  out=$(load "${seconds}s" "$port")
  after=$(cpu_ticks "$pid")
  stop "$pid"
  rm -f "$log"
  report "$out" $((after - before))
}

paired() {
  local off_before on_before off_out on_out off_ticks on_ticks
  both_up
  off_before=$(cpu_ticks "$off_pid") on_before=$(cpu_ticks "$on_pid")
  load "${seconds}s" "$off_port" >"$off_log.wrk" &
  on_out=$(load "${seconds}s" "$on_port")
  wait
  off_out=$(cat "$off_log.wrk")
  off_ticks=$(($(cpu_ticks "$off_pid") - off_before)) on_ticks=$(($(cpu_ticks "$on_pid") - on_before))
  rm -f "$off_log.wrk"
  both_down
  ratio_row "$(report "$off_out" "$off_ticks")" "$(report "$on_out" "$on_ticks")"
}

slices() {
  both_up
  local totals=(0 0 0 0) # off ticks, off requests, on ticks, on requests
  printf 'slice\toff req/s\toff CPU µs/req\ton req/s\ton CPU µs/req\ton/off CPU\n'
  for ((r = 1; r <= rounds; r++)); do
    local row=() i=0 pid port before out t
    for pid_port in "$off_pid:$off_port" "$on_pid:$on_port"; do
      pid=${pid_port%:*} port=${pid_port#*:}
      before=$(cpu_ticks "$pid")
      out=$(load "${seconds}s" "$port")
      t=$(($(cpu_ticks "$pid") - before))
      row+=("$(report "$out" "$t")")
      totals[i]=$((totals[i] + t))
      totals[i + 1]=$((totals[i + 1] + $(awk '/requests in/ { print $1 }' <<<"$out")))
      i=$((i + 2))
    done
    printf '%d\t%s\n' "$r" "$(ratio_row "${row[0]}" "${row[1]}")"
  done
  both_down
  awk -v ot="${totals[0]}" -v on="${totals[1]}" -v nt="${totals[2]}" -v nn="${totals[3]}" -v hz="$ticks" \
    'BEGIN { printf "all\toff %.3f µs/req\ton %.3f µs/req\ton/off %.4f\n", 1e6 * ot / hz / on, 1e6 * nt / hz / nn, (nt / nn) / (ot / on) }'
}

if [[ ${SLICES:-} == 1 ]]; then
  rounds=${1:-40} seconds=${2:-2}
  slices
elif [[ ${PAIRED:-} == 1 ]]; then
  printf 'round\toff req/s\toff CPU µs/req\ton req/s\ton CPU µs/req\ton/off CPU\n'
  for ((r = 1; r <= rounds; r++)); do printf '%d\t%s\n' "$r" "$(paired)"; done
else
  printf 'round\toff req/s\toff CPU µs/req\ton req/s\ton CPU µs/req\n'
  for ((r = 1; r <= rounds; r++)); do
    printf '%d\t%s\t%s\n' "$r" "$(alternating off)" "$(alternating on)"
  done
fi
