#!/usr/bin/env bash
# End-to-end tests of the waiter app and the manager dashboard in a real browser.
# Installs what it needs (Debian's chromium, playwright-core from package-lock.json), builds
# posd (debug unless POSD_BIN names a binary), and runs e2e.test.mjs with node's test runner.
# Everything listens on 127.0.0.1 only. Screenshots land in tests/e2e/screenshots/.
#   E2E_EXPECT_PRINT=0  skip the checks that need the print spool (tickets, printer trouble)
#   E2E_SENDS=N         latency samples (default 30)
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd ../.. && pwd)"

if ! [ -x /usr/bin/chromium ]; then
  echo "installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
command -v node >/dev/null || { echo "node is needed for the e2e tests (apt-get install nodejs npm)"; exit 1; }
npm ci --no-audit --no-fund --loglevel=error

if [ -z "${POSD_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --quiet --bin posd)
  POSD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/posd"
fi
export POSD_BIN
echo "posd binary: $POSD_BIN"
node --test --test-reporter=spec --test-concurrency=1 e2e.test.mjs
