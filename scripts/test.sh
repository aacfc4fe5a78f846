#!/usr/bin/env bash
# The whole test suite: installs what it needs (scripts/setup.sh), type-checks, then runs every
# *.test.ts under src/ and test/ with node's test runner. `--unit` runs only src/ (no services).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json --noEmit
if [[ "${1:-}" == "--unit" ]]; then roots=(src); else roots=(src test); fi
mapfile -t files < <(find "${roots[@]}" -name '*.test.ts' | sort)
echo "test: ${#files[@]} test files" >&2
exec node --import tsx --test --test-concurrency=2 --test-timeout=600000 --test-reporter=spec "${files[@]}"
