#!/usr/bin/env bash
# Checks what consign-edi writes with independent X12 validators:
#   - pyx12 (PyPI) validates the 997s we answer every shared sample's groups with, and the 999s
#     (005010X231A1) we would answer its 5010 groups with instead;
#   - node-x12 (npm) parses our outbound 204, 214 and 940 interchanges in strict mode.
# The write_samples example writes both into a temp dir (and itself checks that our reader reads
# every outbound interchange back as exactly what was written).
#
# Usage: bash edi-validators/run.sh
# Needs python3 (with venv) and node/npm; installs pyx12 into edi-validators/.venv and node-x12
# into edi-validators/node_modules when missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== writing samples (consign-edi example write_samples)"
cargo run -q -p consign-edi --example write_samples -- "$out"

if [ ! -d edi-validators/node_modules/node-x12 ]; then
  echo "== installing node-x12"
  (cd edi-validators && npm ci --no-audit --no-fund)
fi

status=0
echo "== pyx12: the 997s we answer with"
bash edi-validators/pyx12.sh 997 "$out" || status=1
echo "== pyx12: the 999s we answer 5010 groups with"
bash edi-validators/pyx12.sh 999 "$out" || status=1

echo "== node-x12 strict: our outbound 204, 214 and 940"
(cd edi-validators && X12_OUT_DIR="$out" node --test node_x12_strict.mjs) || status=1

if [ "$status" -eq 0 ]; then
  echo "== all validators passed"
else
  echo "== some validator failed (see above)"
fi
exit "$status"
