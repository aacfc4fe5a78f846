#!/usr/bin/env bash
# Test runner.
#   bash scripts/test.sh            the whole suite (what CI runs): installs what it needs (scripts/setup.sh),
#                                   type-checks, then runs every *.test.ts under src/ and test/
#   bash scripts/test.sh --unit     the inner loop: the unit tests under src/ only, no installs, no build,
#                                   no type-check, no services (tests that need one live in test/integration)
#   bash scripts/test.sh --file PATH...   the given test files (or folders), as they are
#   bash scripts/test.sh --docs     builds, then runs the docs' marked quick-start blocks as written
#                                   (test/integration/docs-quickstart.test.ts, also part of the whole suite)
# Extra arguments after the mode go to node's test runner (e.g. --test-name-pattern=enrol).
set -euo pipefail
cd "$(dirname "$0")/.."
run() { exec node --import tsx --test --test-concurrency=2 --test-timeout=600000 --test-reporter=spec "$@"; }

case "${1:-}" in
  --unit)
    shift
    [[ -d node_modules ]] || { echo "test: no node_modules; run 'npm test' (or 'bash scripts/setup.sh --runtime') once" >&2; exit 2; }
    mapfile -t files < <(find src -name '*.test.ts' | sort)
    echo "test: ${#files[@]} unit test files" >&2
    run "$@" "${files[@]}"
    ;;
  --file)
    shift
    opts=(); files=()
    for a in "$@"; do
      if [[ "$a" == --* ]]; then opts+=("$a")
      elif [[ -d "$a" ]]; then mapfile -t -O "${#files[@]}" files < <(find "$a" -name '*.test.ts' | sort)
      elif [[ -f "$a" ]]; then files+=("$a")
      else echo "test: no such test file or folder: $a" >&2; exit 2
      fi
    done
    ((${#files[@]})) || { echo "usage: npm run test:file -- PATH... (test files or folders)" >&2; exit 2; }
    run "${opts[@]}" "${files[@]}"
    ;;
  --docs)
    shift
    [[ -d node_modules ]] || { echo "test: no node_modules; run 'npm test' (or 'bash scripts/setup.sh --runtime') once" >&2; exit 2; }
    # The blocks run the built binary as a user would, so build first: a stale dist/ would test yesterday's code.
    npm run -s build
    run "$@" test/integration/docs-quickstart.test.ts
    ;;
  "")
    bash scripts/setup.sh
    npx tsc -p tsconfig.json --noEmit
    mapfile -t files < <(find src test -name '*.test.ts' | sort)
    echo "test: ${#files[@]} test files" >&2
    run "${files[@]}"
    ;;
  *)
    echo "usage: bash scripts/test.sh [--unit | --file PATH... | --docs] (npm test, npm run test:unit, npm run test:file -- PATH, npm run test:docs)" >&2
    exit 2
    ;;
esac
