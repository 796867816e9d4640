#!/usr/bin/env bash
# Instructions a server spends per answered request, counted by valgrind's callgrind over a wrk run: a figure that
# does not move with the machine's speed the way req/s does (on a shared machine, by half from one minute to the
# next). The server starts under valgrind with instrumentation off, two 30 s wrk runs warm it up (the JIT's tiers),
# then instrumentation is on for one more 30 s run only; its total over the requests answered is the figure.
# What the kernel does for the server (reads, writes, epoll) is not counted; the instructions that call it are.
#
# Usage: bench/count-instructions.sh PORT HEX_FILE -- SERVER COMMAND...
#   bench/count-instructions.sh 9101 $D/timestamps-hot.txt -- node bench/bare-server.mjs 9101
#   bench/count-instructions.sh 9102 $D/timestamps-hot.txt -- node dist/cli/main.js calendar --host 127.0.0.1 \
#     --port 9102 --data-dir $D/anchored --uri http://127.0.0.1:9102 --tick-ms 1000 --log-format json
# where $D is a directory kept by `BENCH_KEEP=1 BENCH_ONLY=4 npm run bench` (its timestamps-hot.txt: proofs the
# proof cache holds; timestamps-distinct.txt: proofs assembled from disk). Needs valgrind, wrk and curl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${1:?usage: count-instructions.sh PORT HEX_FILE -- SERVER COMMAND...}
hex=${2:?usage: count-instructions.sh PORT HEX_FILE -- SERVER COMMAND...}
[ "${3:-}" = "--" ] || { echo "usage: count-instructions.sh PORT HEX_FILE -- SERVER COMMAND..." >&2; exit 2; }
shift 3
for tool in valgrind callgrind_control wrk curl; do
  command -v "$tool" >/dev/null || { echo "count-instructions: $tool is not installed (apt-get install valgrind wrk curl)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" "$@" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 300); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$server" 2>/dev/null || { echo "count-instructions: the server exited; its output:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 1
done
load() {
  BENCH_HEX_FILE="$hex" wrk -t1 -c10 -d30s --timeout 30 -s "$here/wrk/get-timestamps.lua" "http://127.0.0.1:$port/timestamp/" | sed -n 's/^WRK_JSON //p'
}
load >/dev/null
load >/dev/null
callgrind_control -i on "$server" >/dev/null 2>&1
summary=$(load)
callgrind_control -i off "$server" >/dev/null 2>&1
callgrind_control -d "$server" >/dev/null 2>&1
sleep 2
kill "$server"
wait "$server" 2>/dev/null || true
instructions=$(cat "$work"/callgrind.out* | awk '/^totals:/ { s += $2 } END { print s + 0 }')
node -e '
const s = JSON.parse(process.argv[1]);
const ir = Number(process.argv[2]);
const ok = s.requests - s.statusErrors;
console.log(JSON.stringify({ requests: s.requests, non200: s.statusErrors, instructions: ir, instructionsPerRequest: Math.round(ir / s.requests) }));
if (ok <= 0) process.exit(1);
' "$summary" "$instructions"
