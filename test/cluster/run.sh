#!/usr/bin/env bash
# Runs a local scalechat cluster for manual use and benchmarks: the kfake dev broker, a fresh PostgreSQL
# database, the local Redis, N gateways and M workers, each a separate process.
#
#   test/cluster/run.sh start [GATEWAYS] [WORKERS]   start in the background (state in $CLUSTER_DIR)
#   test/cluster/run.sh stop                         stop everything started by start
#   test/cluster/run.sh foreground [GATEWAYS] [WORKERS]   start, wait for Ctrl-C, stop
#
# Gateways listen on 127.0.0.1:8081, 8082, ...; workers serve probes on 127.0.0.1:8091, ...; the broker on
# 127.0.0.1:19092. Environment: CLUSTER_DIR (default ./tmp/cluster), PG_ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL (default redis://127.0.0.1:6379/0), BIN_DIR (./bin),
# DEBUG_PORT (when set, pprof on 127.0.0.1:DEBUG_PORT+1.. for the gateways and DEBUG_PORT+11.. for the workers).
set -euo pipefail
cd "$(dirname "$0")/../.."
CLUSTER_DIR=${CLUSTER_DIR:-./tmp/cluster}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
BIN_DIR=${BIN_DIR:-./bin}
DB=scalechat_cluster

wait_ready() { # url
  for _ in $(seq 1 150); do
    curl -fs "$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "cluster: $1 did not become ready; logs in $CLUSTER_DIR" >&2
  return 1
}

start() {
  local gateways=${1:-2} workers=${2:-1}
  mkdir -p "$CLUSTER_DIR"
  [ -x "$BIN_DIR/scalechat" ] || go build -o "$BIN_DIR/scalechat" .
  go build -o "$BIN_DIR/kafkabroker" ./test/kafkabroker
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
  local pg="${PG_ADMIN_URL%/*}/$DB?sslmode=disable"
  "$BIN_DIR/kafkabroker" --addr 127.0.0.1:19092 --data-dir "$CLUSTER_DIR/kafka" --min-session-timeout 1s \
    >"$CLUSTER_DIR/broker.log" 2>&1 &
  echo $! >"$CLUSTER_DIR/pids"
  for _ in $(seq 1 50); do grep -q listening "$CLUSTER_DIR/broker.log" && break; sleep 0.1; done
  "$BIN_DIR/scalechat" migrate --postgres-url "$pg"
  local common=(--postgres-url "$pg" --redis-url "$REDIS_URL" --redis-prefix "scalechat-cluster:"
    --kafka-brokers 127.0.0.1:19092 --kafka-session-timeout 2s)
  debug() { [ -n "${DEBUG_PORT:-}" ] && echo "--debug-addr 127.0.0.1:$((DEBUG_PORT + $1))"; true; }
  for i in $(seq 1 "$workers"); do
    # shellcheck disable=SC2046
    "$BIN_DIR/scalechat" serve --role worker --node "worker-$i" --addr "127.0.0.1:$((8090 + i))" "${common[@]}" $(debug $((10 + i))) \
      >"$CLUSTER_DIR/worker-$i.log" 2>&1 &
    echo $! >>"$CLUSTER_DIR/pids"
  done
  for i in $(seq 1 "$gateways"); do
    # shellcheck disable=SC2046
    "$BIN_DIR/scalechat" serve --role gateway --node "gateway-$i" --addr "127.0.0.1:$((8080 + i))" "${common[@]}" $(debug "$i") \
      >"$CLUSTER_DIR/gateway-$i.log" 2>&1 &
    echo $! >>"$CLUSTER_DIR/pids"
  done
  for i in $(seq 1 "$workers"); do wait_ready "http://127.0.0.1:$((8090 + i))"; done
  for i in $(seq 1 "$gateways"); do wait_ready "http://127.0.0.1:$((8080 + i))"; done
  echo "cluster: $gateways gateway(s) on http://127.0.0.1:8081.., $workers worker(s), broker 127.0.0.1:19092"
}

stop() {
  [ -f "$CLUSTER_DIR/pids" ] || return 0
  # Gateways and workers first (reverse start order), the broker last.
  tac "$CLUSTER_DIR/pids" | while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    alive=0
    while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$CLUSTER_DIR/pids"
    [ $alive = 0 ] && break
    sleep 0.1
  done
  while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$CLUSTER_DIR/pids"
  rm -f "$CLUSTER_DIR/pids"
}

case "${1:-foreground}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  foreground)
    shift || true
    trap stop EXIT
    start "$@"
    echo "cluster: press Ctrl-C to stop"
    while sleep 3600; do :; done
    ;;
  *) echo "usage: $0 start|stop|foreground [GATEWAYS] [WORKERS]" >&2; exit 2 ;;
esac
