#!/usr/bin/env bash
# Build the hardened `vigia agent` image (deploy/agent/Dockerfile) without any registry:
#
#   1. base image localhost/vigia/node-base:20, imported from a root filesystem assembled here from
#      this machine's node binary and exactly the shared libraries it links (no shell, no package
#      manager, no coreutils); skipped when an image with the same content hash exists;
#   2. a build context staged in a temp dir: dist/, package.json, package-lock.json, the production
#      part of node_modules (scripts/prune-dev-deps.mjs, by package-lock.json) and deploy/agent/actions;
#   3. `podman build` (or `docker build`) of deploy/agent/Dockerfile on that context; skipped when the
#      image already carries the same context hash.
#
# Usage: bash scripts/build-agent-image.sh [--tag IMAGE] [--base IMAGE] [--no-build-dist] [--force]
#   --tag IMAGE       image to produce (default localhost/vigia/agent:<package.json version>)
#   --base IMAGE      use this base instead of importing one (e.g. node:20-bookworm-slim with Docker;
#                     then the image has whatever that base has, a shell included)
#   --no-build-dist   use dist/ as it is (default: compile it first with tsc -p tsconfig.build.json)
#   --force           rebuild the base and the image even when their hashes match
# Environment: CONTAINER_ENGINE=podman|docker (default podman; with podman the runtime flags this
# machine needs are added: --runtime runc --cgroup-manager=cgroupfs).
# Prints progress on stderr and, last, the image name on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

version=$(node -p "require('./package.json').version")
tag="localhost/vigia/agent:${version}"
base=""
build_dist=1
force=0
while (($#)); do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --no-build-dist) build_dist=0; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-agent-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

engine="${CONTAINER_ENGINE:-podman}"
command -v "$engine" >/dev/null || { echo "build-agent-image: $engine not found (apt-get install -y podman runc)" >&2; exit 1; }
if [[ "$engine" == podman ]]; then
  eng=(podman --runtime runc --cgroup-manager=cgroupfs)
  # --format docker: the OCI image format has no HEALTHCHECK (podman would drop it).
  build_extra=(--format docker --ulimit nofile=1024:20000 --ulimit nproc=1024:4096)
  import_extra=(--quiet)
else
  eng=("$engine")
  build_extra=()
  import_extra=()
fi
say() { echo "build-agent-image: $*" >&2; }
started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/vigia-agent-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# .Config.Labels: the same field in podman's and docker's `image inspect`.
label_of() { "${eng[@]}" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# ---- 1. base image ---------------------------------------------------------------------------
# The base is rebuilt when node, a library or this section of the script changes (all hashed).
BASE_RECIPE=1
if [[ -z "$base" ]]; then
  base=localhost/vigia/node-base:20
  node_bin=$(readlink -f "$(command -v node)")
  node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
  [[ "$node_major" == 20 ]] || say "warning: host node is v$node_major, the base is tagged :20"
  # The dynamic loader and every library node links, as the paths ldd resolves them to.
  mapfile -t libs < <(ldd "$node_bin" | awk '/=> \//{print $3} /^\s*\/[^ ]+ \(/{print $1}' | sort -u)
  ((${#libs[@]})) || { say "ldd found no libraries for $node_bin"; exit 1; }
  base_hash=$({ echo "recipe=$BASE_RECIPE"; sed -n '/^# ---- 1\./,/^# ---- 2\./p' "$0"; sha256sum "$node_bin"; for l in "${libs[@]}"; do echo "$l $(sha256sum <"$(readlink -f "$l")")"; done; } | sha256sum | cut -c1-16)
  if [[ $force == 0 && "$(label_of "$base" org.vigia.base-hash)" == "$base_hash" ]]; then
    say "base $base is current (hash $base_hash)"
  else
    say "assembling base root filesystem from $node_bin (node $("$node_bin" -v)) and ${#libs[@]} libraries"
    rootfs="$work/rootfs"
    mkdir -p "$rootfs"/{etc,tmp,proc,sys,dev,run,usr/bin,usr/lib}
    chmod 1777 "$rootfs/tmp"
    # Keep the host's merged-/usr layout (/lib -> usr/lib ...) so the loader's paths resolve.
    for d in bin sbin lib lib64; do
      if [[ -L "/$d" ]]; then ln -s "$(readlink "/$d")" "$rootfs/$d"; fi
    done
    cp "$node_bin" "$rootfs/usr/bin/node"
    for l in "${libs[@]}"; do
      dir=$(readlink -f "$(dirname "$l")")
      mkdir -p "$rootfs$dir"
      cp -L "$l" "$rootfs$dir/$(basename "$l")"
    done
    # Users: root, the agent's user (uid/gid 10001, no home, no shell) and nobody.
    cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
vigia:x:10001:10001:vigia agent:/var/lib/vigia:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
    cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
vigia:x:10001:
nogroup:x:65534:
EOF
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
    chmod 0644 "$rootfs"/etc/*
    # Smoke test: the copied node runs with only the copied libraries (no chroot needed for this).
    "$rootfs/usr/bin/node" -e 0
    [[ ! -e "$rootfs/bin/sh" && ! -e "$rootfs/usr/bin/sh" ]] || { say "a shell slipped into the base"; exit 1; }
    say "importing $base ($(du -sh "$rootfs" | cut -f1))"
    tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
      "${eng[@]}" import "${import_extra[@]}" \
        --change "ENV PATH=/usr/local/bin:/usr/bin" \
        --change "LABEL org.vigia.base-hash=$base_hash" \
        --change "LABEL org.opencontainers.image.description=\"node $("$node_bin" -v) and its shared libraries, no shell\"" \
        - "$base" >/dev/null
    rm -rf "$rootfs"
  fi
fi

# ---- 2. build context -------------------------------------------------------------------------
if [[ $build_dist == 1 ]]; then
  say "compiling dist/ (tsc -p tsconfig.build.json)"
  # tsc emits even when a file has type errors; the build must not stop on another role's work in progress.
  npx tsc -p tsconfig.build.json >"$work/tsc.log" 2>&1 || say "warning: tsc reported errors (dist/ emitted anyway): $(head -c 600 "$work/tsc.log")"
fi
[[ -f dist/cli/main.js ]] || { say "dist/cli/main.js missing (build with: npx tsc -p tsconfig.build.json)"; exit 1; }
[[ -d node_modules ]] || { say "node_modules missing (run: npm ci)"; exit 1; }
ctx="$work/context"
mkdir -p "$ctx"
say "staging build context"
cp package.json package-lock.json "$ctx/"
cp -r dist "$ctx/dist"
find "$ctx/dist" \( -name '*.map' -o -name '*.d.ts' -o -name '*.test.js' \) -delete
chmod 0755 "$ctx/dist/cli/main.js"
# --omit-optional: the log store engine (@duckdb/node-api, optional) is not the agent's.
node scripts/prune-dev-deps.mjs . "$ctx" --omit-optional
if [[ -d deploy/agent/actions ]]; then cp -r deploy/agent/actions "$ctx/actions"; else mkdir "$ctx/actions"; say "warning: deploy/agent/actions missing, the image ships no actions"; fi
cp deploy/agent/Dockerfile "$ctx/Dockerfile"
base_id=$("${eng[@]}" image inspect --format '{{.Id}}' "$base" 2>/dev/null || echo "$base")
ctx_hash=$({ echo "base=$base_id"; (cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); } | sha256sum | cut -c1-16)

# ---- 3. image ---------------------------------------------------------------------------------
if [[ $force == 0 && "$(label_of "$tag" org.vigia.context-hash)" == "$ctx_hash" ]]; then
  say "image $tag is current (context hash $ctx_hash)"
else
  say "building $tag from $base"
  "${eng[@]}" build "${build_extra[@]}" -q \
    -f "$ctx/Dockerfile" --build-arg "BASE=$base" --build-arg "VERSION=$version" \
    --label "org.vigia.context-hash=$ctx_hash" -t "$tag" "$ctx" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; say "build failed"; exit 1; }
fi
# Earlier bases and builds of this image (untagged now) and their build stages: drop them; keep the
# current build stage, the layer cache of the next build. (podman only: docker has its own prune.)
[[ "$engine" != podman ]] || "${eng[@]}" images --filter dangling=true --filter label=org.vigia.base-hash --format '{{.ID}} {{index .Labels "org.vigia.context-hash"}}' 2>/dev/null |
  while read -r id h; do [[ "$h" == "$ctx_hash" ]] || "${eng[@]}" rmi "$id" >/dev/null 2>&1 || true; done
size=$("${eng[@]}" image inspect --format '{{.Size}}' "$tag")
say "done in $((SECONDS - started)) s: $tag, $((size / 1048576)) MiB"
echo "$tag"
