#!/usr/bin/env bash
# Two okienko instances on one machine, as an installation runs them, without containers: one
# PostgreSQL database, one blob store and one master key shared; each instance its own port;
# a small round-robin proxy (`okienko proxy`) in front, standing in for the load balancer.
# Runs until Ctrl-C (or SIGTERM), then stops everything it started.
#
# Usage: tools/two-instances.sh DATABASE_URL [BINARY]
#   DATABASE_URL  an empty (or earlier okienko) PostgreSQL database, e.g.
#                 postgres://postgres@127.0.0.1:5432/okienko_two
#   BINARY        default ./target/release/okienko
# Environment:
#   PORT=8080     the proxy's port (the instances take PORT+1 and PORT+2)
#   DATA=DIR      the shared data folder (master key; blobs unless S3=1); default a new one
#   S3=1          blobs in an S3-compatible server: s3s-fs (cargo install s3s-fs@0.14.1
#                 --features binary --root .ci/tools) is started on PORT+3
# Then, e.g.: okienko bench-delivery --target http://127.0.0.1:8080
set -euo pipefail
url="${1:?usage: tools/two-instances.sh DATABASE_URL [BINARY]}"
bin="${2:-./target/release/okienko}"
port="${PORT:-8080}"
data="${DATA:-$(mktemp -d)}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_ready() {
  for _ in $(seq 1 240); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "$1 did not get ready; see $data/*.log" >&2
  exit 1
}

flags=(--database-url "$url" --data "$data")
if [ "${S3:-0}" = 1 ]; then
  s3s="${OKIENKO_S3S_FS:-$(command -v s3s-fs || echo .ci/tools/bin/s3s-fs)}"
  mkdir -p "$data/s3/okienko"
  "$s3s" --host 127.0.0.1 --port $((port + 3)) --access-key okienko --secret-key okienko-secret \
    "$data/s3" >"$data/s3.log" 2>&1 &
  pids+=($!)
  export AWS_ACCESS_KEY_ID=okienko AWS_SECRET_ACCESS_KEY=okienko-secret AWS_REGION=us-east-1
  export AWS_ENDPOINT="http://127.0.0.1:$((port + 3))" AWS_ALLOW_HTTP=true
  flags+=(--blob-url s3://okienko)
fi

# The first seeds the demo (once per database); the second finds it there.
for i in 1 2; do
  RUST_LOG="${RUST_LOG:-warn}" "$bin" demo "${flags[@]}" --listen "127.0.0.1:$((port + i))" \
    --base-url "http://127.0.0.1:$port" >"$data/instance$i.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$((port + i))"
done
"$bin" proxy --listen "127.0.0.1:$port" \
  --to "127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))" >"$data/proxy.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$port"
echo "okienko on http://127.0.0.1:$port (instances on $((port + 1)) and $((port + 2)); data in $data)"
wait -n "${pids[@]}"
echo "a process ended; stopping the rest" >&2
