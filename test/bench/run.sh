#!/usr/bin/env bash
# make bench: measures the standalone role (the baseline) and a local cluster (2 gateways, 1 worker, the kfake
# dev broker, local PostgreSQL and Redis) under the same load in one run, and prints figures and ratios.
# Environment: BENCH_DURATION (default 10s), BENCH_SENDERS (default 32), GATEWAYS (2), WORKERS (1).
set -euo pipefail
cd "$(dirname "$0")/../.."
export SCALECHAT_PASSWORD_MEMORY_KIB=1024 SCALECHAT_SEND_RATE_LIMIT=100000000
work=$(mktemp -d)
export CLUSTER_DIR="$work/cluster"
cleanup() {
  test/cluster/run.sh stop || true
  [ -n "${sa_pid:-}" ] && kill "$sa_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
bin/scalechat serve --addr 127.0.0.1:18180 --data-dir "$work/standalone" >"$work/standalone.log" 2>&1 &
sa_pid=$!
test/cluster/run.sh start "${GATEWAYS:-2}" "${WORKERS:-1}"
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18180/readyz >/dev/null && break; sleep 0.1; done
gateways=$(seq -s, -f "http://127.0.0.1:%g" 8081 $((8080 + ${GATEWAYS:-2})))
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
go run ./test/bench --duration "${BENCH_DURATION:-10s}" --senders "${BENCH_SENDERS:-32}" \
  --target "standalone=http://127.0.0.1:18180" --target "cluster=$gateways"
node test/bench/latency.mjs "standalone=http://127.0.0.1:18180" "cluster=$gateways"
