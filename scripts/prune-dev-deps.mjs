#!/usr/bin/env node
// Copy the production part of an installed node_modules tree into <dest>/node_modules, offline.
//
//   node scripts/prune-dev-deps.mjs <repo-root> <dest-dir> [--omit-optional]
//
// --omit-optional also leaves out packages flagged `"optional": true`, like `npm ci --omit=dev
// --omit=optional`: the agent image uses it, so engines that only `vigia logs` loads (the embedded
// store's @duckdb/node-api, an optionalDependency) do not grow the agent (issue 15).
//
// Files are hard-linked when <dest-dir> is on the same filesystem, copied otherwise; treat them as
// read-only.
//
// What is production comes from package-lock.json, exactly like `npm ci --omit=dev`: every
// `node_modules/...` entry of `packages` that is not flagged `"dev": true` (devOptional entries are
// kept, as npm keeps them unless optional dependencies are omitted too). Each kept package must be
// installed with the locked version, or this fails and says to run `npm ci`: the image must hold
// what the lock file says, not whatever happens to be on disk. Nested node_modules are handled as
// their own lock entries, so a dev-only copy nested under a production package is not carried.
//
// Files a runtime never reads are left out to keep the image small: type declarations, source
// maps, TypeScript sources, markdown other than licenses, and `.bin` links. Licenses stay.
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const [repo, dest, ...flags] = process.argv.slice(2);
const omitOptional = flags.includes('--omit-optional');
if (!repo || !dest || flags.some((f) => f !== '--omit-optional')) {
  console.error('usage: node scripts/prune-dev-deps.mjs <repo-root> <dest-dir> [--omit-optional]');
  process.exit(2);
}

const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
if (!lock.packages || (lock.lockfileVersion ?? 0) < 2) {
  console.error('prune-dev-deps: package-lock.json has no "packages" map (lockfileVersion >= 2 needed)');
  process.exit(1);
}

const DROP_FILE = /\.([cm]?tsx?|map|md|markdown)$/i;
const KEEP_FILE = /^(licen[cs]e|notice|copying)/i;

let files = 0;
// Hard links where the destination is on the same filesystem (the staged context is only read, by
// the image build), copies otherwise.
let canLink = true;
function link(src, dst) {
  if (canLink) {
    try {
      linkSync(src, dst);
      return;
    } catch {
      canLink = false;
    }
  }
  copyFileSync(src, dst);
}
let bytes = 0;
/** Copy dir `from` to `to` recursively, skipping nested node_modules (their own lock entries) and junk. */
function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const ent of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, ent.name);
    const dst = join(to, ent.name);
    if (ent.isDirectory()) {
      if (ent.name === 'node_modules') continue;
      copyTree(src, dst);
    } else if (ent.isSymbolicLink()) {
      symlinkSync(readlinkSync(src), dst);
    } else if (ent.isFile()) {
      if (DROP_FILE.test(ent.name) && !KEEP_FILE.test(ent.name)) continue;
      link(src, dst);
      files++;
      bytes += lstatSync(src).size;
    }
  }
}

const problems = [];
let kept = 0;
let dropped = 0;
for (const [key, meta] of Object.entries(lock.packages)) {
  if (!key.startsWith('node_modules/')) continue; // "" is the root project; workspaces are not used
  if (meta.dev === true || (omitOptional && meta.optional === true)) {
    dropped++;
    continue;
  }
  if (meta.link) {
    problems.push(`${key}: linked packages are not supported in the image`);
    continue;
  }
  const src = join(repo, key);
  const pkgJson = join(src, 'package.json');
  if (!existsSync(pkgJson)) {
    if (meta.optional) continue; // an optional dependency for another platform (npm skips it too)
    problems.push(`${key}: not installed`);
    continue;
  }
  const installed = JSON.parse(readFileSync(pkgJson, 'utf8')).version;
  if (meta.version && installed !== meta.version) {
    problems.push(`${key}: installed ${installed}, package-lock.json says ${meta.version}`);
    continue;
  }
  copyTree(src, join(dest, key));
  kept++;
}
if (problems.length) {
  console.error(`prune-dev-deps: node_modules does not match package-lock.json (run "npm ci"):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.error(`prune-dev-deps: ${kept} production packages (${files} files, ${(bytes / 1048576).toFixed(1)} MiB), ${dropped} ${omitOptional ? 'dev-only and optional' : 'dev-only'} packages left out`);
