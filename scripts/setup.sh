#!/usr/bin/env bash
# Installs what Vigía needs, idempotently, then builds.
#   bash scripts/setup.sh            everything the test suite and benchmarks need (Debian packages + npm + build)
#   bash scripts/setup.sh --runtime  only npm dependencies and the build (what `npm start` needs)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if [[ "${1:-}" != "--runtime" ]]; then
  command -v redis-server >/dev/null || need_apt+=(redis-server)
  command -v redis-sentinel >/dev/null || need_apt+=(redis-sentinel)
  { command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]]; } || need_apt+=(haproxy)
  command -v promtool >/dev/null || need_apt+=(prometheus)
  command -v wrk >/dev/null || need_apt+=(wrk)
  # agent: reference exporter, container runtime, filesystems for the accuracy tests, MySQL for actions
  [[ -x /usr/bin/prometheus-node-exporter ]] || need_apt+=(prometheus-node-exporter)
  command -v podman >/dev/null || need_apt+=(podman)
  command -v runc >/dev/null || need_apt+=(runc)
  command -v mkfs.xfs >/dev/null || need_apt+=(xfsprogs)
  command -v bindfs >/dev/null || need_apt+=(bindfs)
  { command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]]; } || need_apt+=(mariadb-server)
  command -v openssl >/dev/null || need_apt+=(openssl)
  command -v systemd-analyze >/dev/null || need_apt+=(systemd)
  command -v mkfs.ext4 >/dev/null || need_apt+=(e2fsprogs)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)
  # logs: the reference parser for the parity test and the parse benchmark
  command -v goaccess >/dev/null || need_apt+=(goaccess)
  # console: the browser tests and bench:console drive Debian's chromium (playwright-core never downloads one)
  [[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
fi
if ((${#need_apt[@]})); then
  echo "setup: installing Debian packages: ${need_apt[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# npm dependencies: install when missing or when the lock file changed since the last install.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# Build only when a source or a build setting changed since the last build (`npm start` runs this
# every time; a full tsc run took seconds even with nothing to do). The stamp lives in dist/, so
# deleting dist/ forces a build; tsc itself is incremental (its build info is in dist/ as well).
stamp=dist/.build-stamp
if [[ -f "$stamp" && -f dist/cli/main.js ]] && [[ -z "$(find src tsconfig.json tsconfig.build.json package.json package-lock.json -newer "$stamp" -print -quit)" ]]; then
  echo "setup: build is up to date" >&2
else
  echo "setup: building" >&2
  npx tsc -p tsconfig.build.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
  chmod +x dist/cli/main.js
  touch "$stamp"
fi
