#!/usr/bin/env bash
# One command on a fresh Debian 12 machine (as root): install what is missing, build, and start
# Freehold with its embedded defaults (local Podman, SQLite, Caddy on :443 with its local CA for
# *.localhost, API on 127.0.0.1:8470). Extra arguments go to "freehold up".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The node options and malloc setting of bin/freehold.js's first line (see docs/benchmarks.md).
export MALLOC_ARENA_MAX=2
exec node --max-semi-space-size=1 --optimize-for-size bin/freehold.js up "$@"
