#!/usr/bin/env bash
# Instructions per request: the site's own work on a prepared page, counted
# by callgrind, against a bare hyper server (tests/bench/bare.rs) handing out
# the same bytes. Unlike requests per second, the count barely moves on a
# busy or shared machine, so it is the figure to compare before and after a
# change to the serving path. It counts user-space work only: the kernel's
# share (reading the request, sending the bytes) is the same for both.
#
#   tests/bench/instructions.sh [SECONDS]     (default 6)
#
# Each server runs under valgrind --tool=callgrind with one tokio worker and
# its access log on, as in production. wrk (10 connections, a browser's
# Accept-Encoding) warms it for 2 s; the counters are then zeroed, wrk runs
# for SECONDS, and the counters are dumped and divided by the requests wrk
# counted. Prints one line per server, and the top functions by inclusive
# cost for the site (per request). Installs valgrind and wrk from apt if
# missing (needs root).
set -euo pipefail

SECONDS_PER_RUN=${1:-6}
[[ $SECONDS_PER_RUN =~ ^[0-9]+$ ]] || {
  echo "usage: $0 [SECONDS]" >&2
  exit 2
}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ARTICLE=/can-you-sue-the-cms
ACCEPT='gzip, deflate, br, zstd'

need=()
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]} > 0)); then
  ((EUID == 0)) || {
    echo "missing ${need[*]}; install them or run as root" >&2
    exit 1
  }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cargo build --release --quiet --bin advice-site --example bench-bare
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/advice-insn.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

export TOKIO_WORKER_THREADS=1

# count NAME PORT COMMAND...: prints "NAME requests instructions per-request"
count() {
  local name=$1 port=$2
  shift 2
  RUST_LOG=advice_site=info valgrind --tool=callgrind --callgrind-out-file="$TMP/$name.out" "$@" \
    2>"$TMP/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 600); do
    curl -s -o /dev/null "http://127.0.0.1:$port$ARTICLE" && break
    sleep 0.2
  done
  wrk -t1 -c10 -d2s -H "Accept-Encoding: $ACCEPT" "http://127.0.0.1:$port$ARTICLE" >/dev/null
  callgrind_control -z "$pid" >/dev/null
  wrk -t1 -c10 -d"${SECONDS_PER_RUN}s" -H "Accept-Encoding: $ACCEPT" \
    "http://127.0.0.1:$port$ARTICLE" >"$TMP/$name.wrk"
  callgrind_control -d "$pid" >/dev/null
  sleep 1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local requests total
  requests=$(awk '/requests in/{print $1}' "$TMP/$name.wrk")
  total=$(callgrind_annotate "$TMP/$name.out.1" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
  printf '%-12s %9s requests %14s instructions %8s per request\n' \
    "$name" "$requests" "$total" "$((total / requests))"
  echo "$requests" >"$TMP/$name.requests"
}

SITE_PORT=$((30000 + RANDOM % 20000))
BARE_PORT=$((SITE_PORT + 1))
count advice-site "$SITE_PORT" "$TARGET/release/advice-site" serve \
  --listen "127.0.0.1:$SITE_PORT" --data "$TMP/data"
# The bare server hands out the bytes the site sends for the same request.
"$TARGET/release/advice-site" build --out "$TMP/export" >/dev/null 2>&1
count bare "$BARE_PORT" "$TARGET/release/examples/bench-bare" "127.0.0.1:$BARE_PORT" \
  "$TMP/export$ARTICLE.html" "$TMP/export$ARTICLE.html.gz"

echo
echo "advice-site, inclusive instructions per request, largest first:"
requests=$(cat "$TMP/advice-site.requests")
callgrind_annotate --threshold=100 --inclusive=yes "$TMP/advice-site.out.1" 2>/dev/null |
  sed 's/ \[[^]]*\]$//' |
  awk -v n="$requests" '/\?\?\?:/{x=$1; gsub(",","",x); if (x/n >= 300) printf "%8d  %s\n", x/n, substr($0, index($0, "???:") + 4)}' |
  grep -v -e 'tokio::runtime' -e 'std::' -e '__rust_begin' -e 'clone.S' -e 'pthread_create' -e 'vtable.shim' |
  head -40
