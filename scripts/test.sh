#!/usr/bin/env bash
# The whole test command: system packages, build, type-check, lint, then every test (unit and real-part).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh test
npm run --silent build
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx vitest run "$@"
