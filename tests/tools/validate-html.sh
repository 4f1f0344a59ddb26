#!/usr/bin/env bash
# Crawls every page the real server answers (home, articles, the 404 page)
# and runs the W3C Nu HTML checker on them and on the stylesheet.
# Needs: a release build, curl, java, and `npm ci` in this folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

bin=target/release/advice-site
vnu="$here/node_modules/vnu-jar/build/dist/vnu.jar"
[ -x "$bin" ] || { echo "validate-html: build first: cargo build --release" >&2; exit 2; }
[ -f "$vnu" ] || { echo "validate-html: run 'npm ci' in tests/tools first" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp -d)
"$bin" --data "$out/data" serve --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.1
done

# Breadth-first crawl of internal links, starting at the home page and at
# the deadline checker's pages that only a form reaches: a result, an error.
declare -A seen=()
queue=("/" "/deadlines?letter=decision&day=1&month=2&year=2025"
  "/deadlines?letter=decision&day=31&month=2&year=2025"
  "/deadlines?letter=unlawful&day=1&month=2&year=2025&nation=scotland")
n=0
while [ ${#queue[@]} -gt 0 ]; do
  path=${queue[0]}; queue=("${queue[@]:1}")
  [ -n "${seen[$path]:-}" ] && continue
  seen[$path]=1
  file="$out/page-$((n + 1)).html"
  type=$(curl -fsS "http://127.0.0.1:$port$path" -o "$file" -w '%{content_type}')
  # Pages link icons and the feed too; only HTML goes to the HTML checker.
  case "$type" in
    text/html*) n=$((n + 1)) ;;
    *) rm -f "$file"; continue ;;
  esac
  while read -r link; do
    link=${link%%#*}
    link=${link//&#38;/&}
    link=${link//&amp;/&}
    case "$link" in /static/*|"") continue ;; esac
    [ -z "${seen[$link]:-}" ] && queue+=("$link")
  done < <(grep -o 'href="/[^"]*"' "$file" | sed 's/^href="//; s/"$//' | sort -u)
done
curl -sS "http://127.0.0.1:$port/no-such-page" -o "$out/page-404.html"
# The search pages, which only the header's form reaches: fetched, not
# crawled (their suggestions link /topics and /glossary, another branch's).
for q in "" appeal xylophone; do
  curl -fsS "http://127.0.0.1:$port/search?q=$q" -o "$out/search-${q:-empty}.html"
done
curl -fsS "http://127.0.0.1:$port/static/site.css" -o "$out/site.css"

echo "validate-html: checking $((n + 4)) pages and the stylesheet"
java -jar "$vnu" --errors-only --also-check-css --format gnu "$out"/*.html "$out/site.css"
echo "validate-html: no errors"
