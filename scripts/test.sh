#!/usr/bin/env bash
# One command on a fresh Debian 12 machine (as root): install what is missing, build, and run
# the whole test suite against the real programs (Podman, Caddy, PostgreSQL, MariaDB, Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests
npm run typecheck --silent
npm test
