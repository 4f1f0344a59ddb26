#!/usr/bin/env bash
# HTTP benchmark: the site against nginx serving its own static export, and
# against a bare hyper server that only hands out bytes (tests/bench/bare.rs).
# Three kinds of request: a browser's (Accept-Encoding: gzip, deflate, br,
# zstd), gzip only, and identity (plain). The site runs with its access log
# on, as in production (written to a file by its non-blocking writer).
#
#   tests/bench/http.sh
#
# Builds in release, writes the static export, starts nginx (one worker,
# open_file_cache and gzip_static on), advice-site and bench-bare, each
# pinned to one core, and drives them with wrk pinned to the other. Runs
# alternate (nginx, advice-site, bare; plain then gzip) for several rounds, so
# a slow moment on the machine hurts all three alike. Prints each run, then
# medians: requests per second, p50/p99 latency, and the server's CPU time per
# request (utime+stime from /proc, divided by the requests wrk counted).
#
# Installs nginx and wrk from apt if they are missing (needs root). Numbers
# mean something only on an otherwise quiet machine with at least two cores.
#
# Settings (environment):
#   BENCH_SECONDS=10      length of one wrk run
#   BENCH_ROUNDS=3        rounds of alternating runs
#   BENCH_CONNECTIONS=50  wrk connections
#   BENCH_MODES="browser gzip plain"  kinds of request to run
#   BENCH_SERVER_CPU=0    core the servers are pinned to
#   BENCH_CLIENT_CPU=1    core wrk is pinned to
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
ARTICLE=/can-you-sue-the-cms
SERVERS=(nginx advice-site bare)
read -r -a MODES <<<"${BENCH_MODES:-browser gzip plain}"
BROWSER_ACCEPT='gzip, deflate, br, zstd'
# accept_args MODE -> sets ARGS to wrk/curl header arguments for MODE
accept_args() {
  case $1 in
  browser) ARGS=(-H "Accept-Encoding: $BROWSER_ACCEPT") ;;
  gzip) ARGS=(-H 'Accept-Encoding: gzip') ;;
  plain) ARGS=() ;;
  *) die "unknown mode '$1' (browser, gzip or plain)" ;;
  esac
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

say() { printf '%s\n' "$*" >&2; }
die() {
  say "http.sh: $*"
  exit 1
}

for n in "$SECONDS_PER_RUN" "$ROUNDS" "$CONNECTIONS" "$SERVER_CPU" "$CLIENT_CPU"; do
  [[ $n =~ ^[0-9]+$ ]] || die "BENCH_* settings must be whole numbers (got '$n')"
done
((SECONDS_PER_RUN > 0 && ROUNDS > 0 && CONNECTIONS > 0)) || die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS must be positive"
((SERVER_CPU != CLIENT_CPU)) || die "BENCH_SERVER_CPU and BENCH_CLIENT_CPU must differ"

# --- tools -------------------------------------------------------------------

# nginx lives in /usr/sbin, which a non-login root shell may lack.
export PATH="$PATH:/usr/sbin:/sbin"

install_missing() {
  local need=()
  command -v nginx >/dev/null 2>&1 || need+=(nginx)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v taskset >/dev/null 2>&1 || need+=(util-linux)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v pgrep >/dev/null 2>&1 || need+=(procps)
  ((${#need[@]} > 0)) || return 0
  ((EUID == 0)) || die "missing ${need[*]}; install them or run as root"
  say "installing ${need[*]} from apt"
  local pkg
  for pkg in "${need[@]}"; do
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
      apt-get update -qq
      break
    fi
  done
  # Debian's nginx package starts a system nginx on port 80 unless a
  # policy-rc.d forbids it; the benchmark wants only its own.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || rc=$?
  ((made_policy == 0)) || rm -f "$policy"
  ((rc == 0)) || die "apt-get install ${need[*]} failed"
}
install_missing

CPUS=$(getconf _NPROCESSORS_ONLN)
((SERVER_CPU < CPUS && CLIENT_CPU < CPUS)) || die "needs cores $SERVER_CPU and $CLIENT_CPU; this machine has $CPUS"
TICKS=$(getconf CLK_TCK)

# --- build -------------------------------------------------------------------

say "building (release)"
cargo build --release --quiet --bin advice-site --example bench-bare
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SITE_BIN=$TARGET/release/advice-site
BARE_BIN=$TARGET/release/examples/bench-bare
[[ -x $SITE_BIN && -x $BARE_BIN ]] || die "release binaries not found under $TARGET"

# --- processes and clean-up ----------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/advice-bench.XXXXXX")
STARTED=()

cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED[@]}"; do
    # The site lets requests in flight finish; there are none, so this is quick.
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sets PORT[$1] to a port nothing answers on and no other server was given.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    [[ " ${PORT[*]-} " == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      PORT[$1]=$port
      return
    fi
  done
}

# Waits until $1 answers 200 on the article, or its process $2 dies.
wait_ready() {
  local name=$1 pid=$2 url=$3 log=$4
  for _ in $(seq 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$name exited at start; its log:"
      tail -n 20 "$log" >&2 || true
      die "$name failed to start"
    fi
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null || true) == 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$log" >&2 || true
  die "$name did not answer 200 on $url within 30 s"
}

# --- export and nginx configuration ------------------------------------------

EXPORT=$TMP/export
say "writing the static export"
"$SITE_BIN" build --out "$EXPORT" >"$TMP/build.log" 2>&1 || {
  cat "$TMP/build.log" >&2
  die "advice-site build failed"
}
[[ -f $EXPORT/nginx/site.conf ]] || die "the export has no nginx/site.conf"
[[ -f $EXPORT$ARTICLE.html && -f $EXPORT$ARTICLE.html.gz ]] || die "the export has no $ARTICLE.html(.gz)"

declare -A PORT URL PID
for s in "${SERVERS[@]}"; do
  free_port "$s"
  URL[$s]="http://127.0.0.1:${PORT[$s]}$ARTICLE"
done

mkdir -p "$TMP/nginx"
{
  # The export is in a private temporary folder, so the worker runs as root.
  ((EUID != 0)) || echo "user root;"
  cat <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
    server {
        listen 127.0.0.1:${PORT[nginx]};
        include $EXPORT/nginx/site.conf;
    }
}
EOF
} >"$TMP/nginx/nginx.conf"
nginx -t -q -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" 2>"$TMP/nginx/test.log" || {
  cat "$TMP/nginx/test.log" >&2
  die "nginx -t rejected $TMP/nginx/nginx.conf"
}

# --- servers -------------------------------------------------------------------

say "starting nginx, advice-site and bench-bare on core $SERVER_CPU"
taskset -c "$SERVER_CPU" nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" \
  >"$TMP/nginx.log" 2>&1 &
PID[nginx]=$!
STARTED+=("${PID[nginx]}")

TOKIO_WORKER_THREADS=1 RUST_LOG=advice_site=info taskset -c "$SERVER_CPU" \
  "$SITE_BIN" serve --listen "127.0.0.1:${PORT[advice-site]}" >"$TMP/advice-site.log" 2>&1 &
PID[advice-site]=$!
STARTED+=("${PID[advice-site]}")

TOKIO_WORKER_THREADS=1 taskset -c "$SERVER_CPU" \
  "$BARE_BIN" "127.0.0.1:${PORT[bare]}" "$EXPORT$ARTICLE.html" "$EXPORT$ARTICLE.html.gz" \
  >"$TMP/bare.log" 2>&1 &
PID[bare]=$!
STARTED+=("${PID[bare]}")

wait_ready nginx "${PID[nginx]}" "${URL[nginx]}" "$TMP/nginx/error.log"
wait_ready advice-site "${PID[advice-site]}" "${URL[advice-site]}" "$TMP/advice-site.log"
wait_ready bare "${PID[bare]}" "${URL[bare]}" "$TMP/bare.log"

# The process whose CPU time is counted: nginx's one worker, not its master.
declare -A CPU_PID
CPU_PID[nginx]=$(pgrep -P "${PID[nginx]}" | head -n 1 || true)
[[ -n ${CPU_PID[nginx]} ]] || die "nginx has no worker process"
CPU_PID[advice-site]=${PID[advice-site]}
CPU_PID[bare]=${PID[bare]}

# --- check that all three send the same thing ---------------------------------

# fetch SERVER MODE -> $TMP/check/SERVER.MODE.{headers,body}
fetch() {
  local s=$1 mode=$2 out=$TMP/check/$1.$2 ARGS
  accept_args "$mode"
  curl -s --fail -D "$out.headers" -o "$out.body" "${ARGS[@]}" "${URL[$s]}" ||
    die "$s did not answer 200 to a $mode request for $ARTICLE"
}
header() { # header FILE NAME -> value, lower-cased name match, CR stripped
  awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$2")" -F': *' \
    'tolower($1) == n { sub(/^[^:]*: */, ""); sub(/\r$/, ""); print; exit }' "$1"
}
mkdir -p "$TMP/check"
for mode in "${MODES[@]}"; do
  for s in "${SERVERS[@]}"; do fetch "$s" "$mode"; done
done
has_mode() { [[ " ${MODES[*]} " == *" $1 "* ]]; }
for s in "${SERVERS[@]}"; do
  if has_mode gzip; then
    enc=$(header "$TMP/check/$s.gzip.headers" Content-Encoding)
    [[ $enc == gzip ]] || die "$s answered Accept-Encoding: gzip with Content-Encoding '${enc:-none}'"
    gzip -t <"$TMP/check/$s.gzip.body" 2>/dev/null || die "$s's gzip response is not valid gzip"
  fi
  if has_mode plain; then
    enc=$(header "$TMP/check/$s.plain.headers" Content-Encoding)
    [[ -z $enc ]] || die "$s answered a request without Accept-Encoding with Content-Encoding '$enc'"
  fi
done
size() { wc -c <"$1" | tr -d ' '; }
if has_mode browser; then
  for s in "${SERVERS[@]}"; do
    say "browser request: $s sends $(size "$TMP/check/$s.browser.body") bytes ($(header "$TMP/check/$s.browser.headers" Content-Encoding))"
  done
  (($(size "$TMP/check/advice-site.browser.body") < $(size "$TMP/check/nginx.browser.body"))) ||
    say "warning: for a browser's request the site sends no fewer bytes than nginx"
fi
for mode in "${MODES[@]}"; do
  # A browser's request gets brotli from the site and gzip from nginx:
  # different bytes by design, compared by size above.
  [[ $mode == browser ]] && continue
  a=$TMP/check/advice-site.$mode.body
  for s in nginx bare; do
    b=$TMP/check/$s.$mode.body
    cmp -s "$a" "$b" ||
      die "$mode: $s sent $(size "$b") bytes, advice-site $(size "$a"), or different bytes; the export should be byte-identical"
  done
done
declare -A BYTES
for mode in "${MODES[@]}"; do BYTES[$mode]=$(size "$TMP/check/advice-site.$mode.body"); done

# Headers are not part of the byte-identity promise, but a difference changes
# what each server writes per response, so say what differs.
header_names() {
  tr -d '\r' <"$1" | awk -F: 'NR > 1 && NF > 1 { print tolower($1) }' | sort -u
}
for mode in "${MODES[@]}"; do
  n=$TMP/check/nginx.$mode.headers a=$TMP/check/advice-site.$mode.headers
  only_nginx=$(comm -23 <(header_names "$n") <(header_names "$a") | paste -sd' ' -)
  only_site=$(comm -13 <(header_names "$n") <(header_names "$a") | paste -sd' ' -)
  differ=()
  while read -r name; do
    case $name in date | etag | last-modified | server | content-length) continue ;; esac
    # Token case does not matter (Vary: Accept-Encoding = accept-encoding).
    [[ $(header "$n" "$name" | tr '[:upper:]' '[:lower:]') == \
      "$(header "$a" "$name" | tr '[:upper:]' '[:lower:]')" ]] || differ+=("$name")
  done < <(comm -12 <(header_names "$n") <(header_names "$a"))
  say "headers ($mode): only nginx: ${only_nginx:-none}; only advice-site: ${only_site:-none}; different values: ${differ[*]:-none}"
  say "  response header bytes: nginx $(size "$n"), advice-site $(size "$a"), bare $(size "$TMP/check/bare.$mode.headers")"
done
say "article $ARTICLE from the site: $(for m in "${MODES[@]}"; do printf '%s %s bytes; ' "$m" "${BYTES[$m]}"; done)gzip and plain identical from all three servers"

# --- runs ----------------------------------------------------------------------

cpu_ticks() { # utime + stime of PID, fields 14 and 15 of /proc/PID/stat
  local stat
  stat=$(<"/proc/$1/stat") || die "cannot read /proc/$1/stat (did the server die?)"
  # Field 2 (the command name) may hold spaces; count from after its ')'.
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# to_ms VALUE-WITH-UNIT (wrk prints us, ms, s, m)
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    else if (u != "ms") { print "bad"; exit }
    printf "%.3f\n", n }'
}

RESULTS=$TMP/results.tsv
: >"$RESULTS"

# run ROUND MODE SERVER [SECONDS]; ROUND 'warm' runs without recording
run() {
  local round=$1 mode=$2 s=$3 seconds=${4:-$SECONDS_PER_RUN} ARGS out before after
  accept_args "$mode"
  out=$TMP/wrk.$round.$mode.$s.txt
  kill -0 "${CPU_PID[$s]}" 2>/dev/null || die "$s is no longer running"
  before=$(cpu_ticks "${CPU_PID[$s]}")
  # `time` reports wrk's own CPU time (taskset execs wrk in place).
  local TIMEFORMAT='%U %S'
  { time taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency \
    "${ARGS[@]}" "${URL[$s]}" >"$out" 2>&1; } 2>"$out.time" || {
    cat "$out" >&2
    die "wrk failed against $s"
  }
  after=$(cpu_ticks "${CPU_PID[$s]}")
  [[ $round == warm ]] && return 0

  local rps p50 p99 requests errors cpu_us duration srv_pct wrk_pct
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "50%" { print $2; exit }' "$out")
  p99=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$out")
  requests=$(awk '$2 == "requests" && $3 == "in" { print $1; exit }' "$out")
  duration=$(awk '$2 == "requests" && $3 == "in" { sub(/,$/, "", $4); print $4; exit }' "$out")
  errors=$(awk '/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
                /Non-2xx or 3xx responses:/ { e += $NF } END { print e + 0 }' "$out")
  if [[ -z $rps || -z $p50 || -z $p99 || -z $requests || -z $duration ]] || ((requests == 0)); then
    cat "$out" >&2
    die "could not read wrk's output for $s ($mode)"
  fi
  p50=$(to_ms "$p50")
  p99=$(to_ms "$p99")
  duration=$(to_ms "$duration")
  [[ $p50 != bad && $p99 != bad && $duration != bad ]] || {
    cat "$out" >&2
    die "unknown latency unit in wrk's output"
  }
  cpu_us=$(awk -v t=$((after - before)) -v hz="$TICKS" -v n="$requests" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
  # Share of its core each side used: a server well under 100% was held
  # back by wrk or by other load, not by its own work.
  srv_pct=$(awk -v t=$((after - before)) -v hz="$TICKS" -v ms="$duration" 'BEGIN { printf "%.0f", t / hz * 1e5 / ms }')
  wrk_pct=$(awk -v ms="$duration" '{ printf "%.0f", ($1 + $2) * 1e5 / ms }' "$out.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$mode" "$s" "$rps" "$p50" "$p99" \
    "$requests" "$cpu_us" "$errors" "$srv_pct" "$wrk_pct" >>"$RESULTS"
  printf '%5s  %-7s  %-11s  %10.0f  %9.3f  %9.3f  %10d  %8.2f  %5d  %5d  %6d\n' \
    "$round" "$mode" "$s" "$rps" "$p50" "$p99" "$requests" "$cpu_us" "$srv_pct" "$wrk_pct" "$errors"
}

total=$((ROUNDS * ${#MODES[@]} * ${#SERVERS[@]} * (SECONDS_PER_RUN + 1) + ${#MODES[@]} * ${#SERVERS[@]} * 2))
say "warming up, then $ROUNDS round(s) of ${#MODES[@]}×${#SERVERS[@]} runs of ${SECONDS_PER_RUN}s (about $((total / 60 + 1)) min)"
for mode in "${MODES[@]}"; do
  for s in "${SERVERS[@]}"; do run warm "$mode" "$s" 1; done
done

echo
echo "GET $ARTICLE, $CONNECTIONS connections, ${SECONDS_PER_RUN}s per run; servers on core $SERVER_CPU, wrk on core $CLIENT_CPU"
echo "site bytes per response: $(for m in "${MODES[@]}"; do printf '%s %s; ' "$m" "${BYTES[$m]}"; done)cpu_us = server utime+stime per request (nginx: its"
echo "worker); srv% and wrk% = share of its core the server and wrk used during the run."
echo
printf '%5s  %-7s  %-11s  %10s  %9s  %9s  %10s  %8s  %5s  %5s  %6s\n' \
  round mode server req/s p50_ms p99_ms requests cpu_us srv% wrk% errors
for round in $(seq "$ROUNDS"); do
  for mode in "${MODES[@]}"; do
    for s in "${SERVERS[@]}"; do
      sleep 1
      run "$round" "$mode" "$s"
    done
  done
done

# --- summary -------------------------------------------------------------------

echo
echo "Medians over $ROUNDS round(s):"
echo
awk -F'\t' -v modes="${MODES[*]}" -v servers="${SERVERS[*]}" '
function median(list,    a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 1; i <= n; i++) a[i] += 0
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
  k = $2 SUBSEP $3
  rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $8
  srv[k] = srv[k] " " $10; wrk[k] = wrk[k] " " $11
  err[k] += $9
  r_rps[$1, $2, $3] = $4; r_cpu[$1, $2, $3] = $8; rounds[$1] = 1
}
END {
  nm = split(modes, M, " "); ns = split(servers, S, " ")
  printf "%-7s  %-11s  %10s  %9s  %9s  %8s  %5s  %5s  %6s\n", "mode", "server", "req/s", "p50_ms", "p99_ms", "cpu_us", "srv%", "wrk%", "errors"
  for (i = 1; i <= nm; i++) for (j = 1; j <= ns; j++) {
    k = M[i] SUBSEP S[j]
    med_rps[k] = median(rps[k]); med_p99[k] = median(p99[k]); med_cpu[k] = median(cpu[k])
    printf "%-7s  %-11s  %10.0f  %9.3f  %9.3f  %8.2f  %5.0f  %5.0f  %6d\n", M[i], S[j], med_rps[k], median(p50[k]), med_p99[k],
      med_cpu[k], median(srv[k]), median(wrk[k]), err[k]
  }
  print ""
  printf "%-7s  %17s  %17s  %17s  %17s\n", "mode", "site/nginx req/s", "site/nginx p99", "site cpu / bare", "nginx cpu / bare"
  for (i = 1; i <= nm; i++) {
    m = M[i]; ratio = ""; cs = ""; cn = ""
    for (r in rounds) {
      if (r_rps[r, m, "nginx"] > 0) ratio = ratio " " r_rps[r, m, "advice-site"] / r_rps[r, m, "nginx"]
      if (r_cpu[r, m, "bare"] > 0) {
        cs = cs " " r_cpu[r, m, "advice-site"] / r_cpu[r, m, "bare"]
        cn = cn " " r_cpu[r, m, "nginx"] / r_cpu[r, m, "bare"]
      }
    }
    printf "%-7s  %17.2f  %17.2f  %16.2fx  %16.2fx\n", m, median(ratio),
      (med_p99[m SUBSEP "nginx"] > 0 ? med_p99[m SUBSEP "advice-site"] / med_p99[m SUBSEP "nginx"] : 0),
      median(cs), median(cn)
  }
}' "$RESULTS"
echo
echo "Ratios are medians of per-round ratios (each round runs the servers back to back)."
errors=$(awk -F'\t' '{ e += $9 } END { print e + 0 }' "$RESULTS")
((errors == 0)) || say "warning: wrk counted $errors socket errors or non-2xx responses; see the per-run table"
disturbed=$(awk -F'\t' '$10 < 90 && $11 < 90 { n++ } END { print n + 0 }' "$RESULTS")
((disturbed == 0)) || say "warning: in $disturbed run(s) neither the server nor wrk used 90% of its core:" \
  "something else was running; take numbers on a quiet machine"
