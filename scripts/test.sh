#!/usr/bin/env bash
# Runs every check and test Consign has: formatting, clippy, unit and integration tests on
# embedded SQLite and on a real PostgreSQL server, the committed OpenAPI document and schema
# diffs, and the dashboard's browser tests in headless Chromium.
#
# PostgreSQL: CONSIGN_TEST_DATABASE_URL if set; else 127.0.0.1:5432 if it answers; else a
# throwaway cluster when the PostgreSQL server binaries are installed; else the PostgreSQL half
# is skipped with a loud warning -- except under CI=true, where a missing engine fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
in_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "no import cycles between a crate's modules"
python3 scripts/module_cycles.py --self-test
python3 scripts/module_cycles.py

step "PostgreSQL for the tests"
THROWAWAY=""
cleanup() {
  if [[ -n "$THROWAWAY" ]]; then
    pg_ctl_bin=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n1 || true)
    if [[ -n "$pg_ctl_bin" ]]; then runuser -u postgres -- "$pg_ctl_bin" -D "$THROWAWAY/data" -m fast stop >/dev/null 2>&1 || "$pg_ctl_bin" -D "$THROWAWAY/data" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$THROWAWAY"
  fi
}
trap cleanup EXIT

pg_answers() { # url
  if command -v psql >/dev/null; then psql "$1" -Atqc 'select 1' >/dev/null 2>&1; else (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; fi
}

if [[ -n "${CONSIGN_TEST_DATABASE_URL:-}" ]]; then
  echo "using CONSIGN_TEST_DATABASE_URL"
elif pg_answers "postgres://postgres@127.0.0.1:5432/postgres"; then
  export CONSIGN_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  echo "using the PostgreSQL server on 127.0.0.1:5432"
elif initdb_bin=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n1) && [[ -n "$initdb_bin" ]]; then
  bindir=$(dirname "$initdb_bin")
  THROWAWAY=$(mktemp -d /tmp/consign-pg.XXXXXX)
  port=$(( 20000 + RANDOM % 20000 ))
  as_pg=()
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$THROWAWAY" 2>/dev/null && as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$bindir/initdb" -D "$THROWAWAY/data" -U postgres -A trust >/dev/null
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$THROWAWAY/data" -o "-p $port -k $THROWAWAY -c listen_addresses=127.0.0.1 -c fsync=off" -l "$THROWAWAY/log" -w start >/dev/null
  export CONSIGN_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "started a throwaway PostgreSQL cluster on port $port"
else
  if in_ci; then
    echo "CI=true but no PostgreSQL is reachable and no server binaries are installed" >&2
    exit 1
  fi
  echo "!!! No PostgreSQL reachable and none installed: the PostgreSQL half of every test will be SKIPPED." >&2
  echo "!!! Install postgresql or set CONSIGN_TEST_DATABASE_URL to run it." >&2
fi

drop_test_databases() {
  [[ -n "${CONSIGN_TEST_DATABASE_URL:-}" ]] && command -v psql >/dev/null || return 0
  psql "$CONSIGN_TEST_DATABASE_URL" -Atqc "select datname from pg_database where datname like 'consign_test_%'" 2>/dev/null \
    | while read -r db; do psql "$CONSIGN_TEST_DATABASE_URL" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || true; done
}
drop_test_databases

step "unit, contract and integration tests (SQLite and PostgreSQL)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  echo "cargo-nextest not installed; using cargo test"
  cargo test --workspace --locked --no-fail-fast
fi
drop_test_databases

step "committed OpenAPI document matches the code"
cargo run -q --locked -p consign-cli -- export-openapi > target/openapi.json
diff -u openapi.json target/openapi.json || { echo "openapi.json is stale: run 'cargo run -p consign-cli -- export-openapi --out openapi.json'" >&2; exit 1; }
# An independent validator reads it as OpenAPI 3.1.
python3 -c 'import openapi_spec_validator' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check openapi-spec-validator
python3 - <<'PY'
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
doc, _ = read_from_filename("openapi.json")
validate(doc)
print("openapi.json is a valid OpenAPI 3.1 document:", len(doc["paths"]), "paths,", len(doc["components"]["schemas"]), "schemas")
PY

step "our 997s through pyx12, our 204/214/940 through node-x12 strict"
if command -v node >/dev/null && command -v npm >/dev/null && command -v python3 >/dev/null; then
  bash edi-validators/run.sh
elif in_ci; then
  echo "CI=true but node/npm or python3 are missing: the EDI validators cannot run" >&2
  exit 1
else
  echo "!!! node/npm or python3 not installed: EDI validators SKIPPED" >&2
fi

step "dashboard in headless Chromium"
if command -v node >/dev/null && command -v npm >/dev/null; then
  # Screenshots of every page the tests open stay in target/screenshots for review.
  CONSIGN_SCREENSHOT_DIR=target/screenshots CONSIGN_BIN=target/debug/consign bash browser-tests/run.sh
elif in_ci; then
  echo "CI=true but node/npm are missing: the browser tests cannot run" >&2
  exit 1
else
  echo "!!! node/npm not installed: browser tests SKIPPED" >&2
fi

step "all checks passed"
