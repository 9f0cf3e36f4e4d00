#!/usr/bin/env bash
# Headless-Chromium end-to-end test of the Consign dashboard.
#
#   bash browser-tests/run.sh
#
# Prepares a demo database (3000 orders) in a temporary folder, serves it on a free port,
# runs browser-tests/dashboard.test.mjs with Node's test runner against it and stops the
# server again. Environment:
#   CONSIGN_BIN             the consign binary (default: target/debug/consign, relative to the repo root)
#   CONSIGN_SCREENSHOT_DIR  optional: where the tests save PNG screenshots
# Uses Debian's /usr/bin/chromium (installed with apt-get when missing); no browser download.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# A relative screenshot folder is meant relative to where the script was started.
if [[ -n "${CONSIGN_SCREENSHOT_DIR:-}" && "$CONSIGN_SCREENSHOT_DIR" != /* ]]; then
  export CONSIGN_SCREENSHOT_DIR="$PWD/$CONSIGN_SCREENSHOT_DIR"
fi
root="$(dirname "$here")"
cd "$root"

CONSIGN_BIN="${CONSIGN_BIN:-target/debug/consign}"
# Absolute path, since the demo runs in the temporary folder.
case "$CONSIGN_BIN" in
  /*) ;;
  */*) CONSIGN_BIN="$root/$CONSIGN_BIN" ;;
  *) CONSIGN_BIN="$(command -v "$CONSIGN_BIN")" ;;
esac
if [[ ! -x "$CONSIGN_BIN" ]]; then
  echo "run.sh: $CONSIGN_BIN is missing; build it with: cargo build -p consign-cli" >&2
  exit 2
fi

if [[ ! -x /usr/bin/chromium ]]; then
  echo "run.sh: installing Debian's chromium" >&2
  apt-get update -qq && apt-get install -y -qq chromium
fi

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

TMP="$(mktemp -d -t consign-e2e.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run.sh: preparing the demo data in $TMP" >&2
(cd "$TMP" && "$CONSIGN_BIN" demo --orders 3000 --no-serve --data-dir "$TMP") >"$TMP/demo.out"

# "  administrator: admin@consign.demo / PASSWORD"
# "  client manager (northwind only): manager@northwind.demo / PASSWORD"
login_of() { # $1: line prefix (regex); prints "EMAIL PASSWORD"
  sed -nE "s#^[[:space:]]*$1[^:]*:[[:space:]]*([^[:space:]]+)[[:space:]]+/[[:space:]]+([^[:space:]]+)[[:space:]]*\$#\\1 \\2#p" "$TMP/demo.out" | head -n 1
}
read -r admin_email admin_password <<<"$(login_of 'administrator')" || true
read -r client_email client_password <<<"$(login_of 'client manager')" || true
read -r carrier_email carrier_password <<<"$(login_of 'carrier')" || true
if [[ -z "${admin_email:-}" || -z "${admin_password:-}" || -z "${client_email:-}" || -z "${client_password:-}" || -z "${carrier_email:-}" ]]; then
  echo "run.sh: could not read the demo logins from:" >&2
  cat "$TMP/demo.out" >&2
  exit 1
fi

# The tests sign in a dozen times within a minute from one address, more than the sign-in
# limit lets a person (the API tests cover that limit); raise it for this server only.
(cd "$TMP" && CONSIGN_LOGIN_PER_MINUTE=600 exec "$CONSIGN_BIN" serve --database-url "sqlite://$TMP/demo.db" --data-dir "$TMP" --listen 127.0.0.1:0) \
  >"$TMP/serve.out" 2>"$TMP/serve.err" &
server_pid=$!

# "Consign is serving on http://127.0.0.1:PORT  (dashboard …)"
url=""
for _ in $(seq 1 300); do
  url="$(sed -nE 's#^Consign is serving on (http://[^[:space:]]+).*#\1#p' "$TMP/serve.out" | head -n 1)"
  [[ -n "$url" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited early:" >&2
    cat "$TMP/serve.out" "$TMP/serve.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "run.sh: the server did not report its address within 30 s:" >&2
  cat "$TMP/serve.out" "$TMP/serve.err" >&2
  exit 1
fi
echo "run.sh: server at $url (pid $server_pid)" >&2

export CONSIGN_URL="$url"
export CONSIGN_ADMIN_EMAIL="$admin_email" CONSIGN_ADMIN_PASSWORD="$admin_password"
export CONSIGN_CLIENT_EMAIL="$client_email" CONSIGN_CLIENT_PASSWORD="$client_password"
export CONSIGN_CARRIER_EMAIL="$carrier_email"

status=0
node --test browser-tests/dashboard.test.mjs || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: tests failed; server log:" >&2
  tail -n 50 "$TMP/serve.err" >&2 || true
fi
exit "$status"
