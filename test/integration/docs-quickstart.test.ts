/**
 * The docs' quick starts run as written: every shell block a doc marks with `<!-- doc-test: <doc>/<step> -->`
 * (see test/support/doc-blocks.ts) runs, so a doc that drifts from the code turns CI red.
 *
 * How a doc runs (`npm run test:docs` runs only this file):
 * - its marked blocks, in order, in ONE `bash -euo pipefail` process, so variables, `cd` and background jobs carry
 *   from one block to the next; a block fails the doc by exiting non-zero (use `curl -fsS`, not `curl -s`);
 * - cwd: a fresh temp copy of the checkout as a fresh clone has it (the files git tracks, plus new files git does not
 *   ignore, so a doc being written is tested before its commit) with `node_modules` linked in as after `npm ci`;
 *   no `dist/`. A copy, not the real repo, because blocks write where they stand (`./data/`, token files, reports)
 *   and nothing a doc does may land in the checkout;
 * - HOME and TMPDIR: empty temp dirs; PATH: a temp bin dir first, whose `vigia` runs this checkout's dist/cli/main.js
 *   with the current node (so `npm run build` first; npm test does); the rest of the environment is not passed on;
 * - ports: docs use their documented default ports. Docs run one at a time; before a doc runs, each 127.0.0.1:PORT
 *   or localhost:PORT its blocks mention must be free, or the test fails naming the port;
 * - a deadline per doc (DOC_TIMEOUT_MS), then its whole process group (background servers included) is killed, as it
 *   is after every doc; a process the doc started that still holds one of its ports afterwards fails the doc.
 * On failure the message names the doc, the block, its line and the tail of the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractDocBlocks, type DocBlock } from '../support/doc-blocks.js';
import { tempDir } from '../support/tmp.js';
import { VIGIA_BIN } from '../support/vigia-process.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DOC_TIMEOUT_MS = 120_000;
const TAIL_LINES = 40;
const DONE = '__doc_test_done__';

/** README.md, docs/*.md, examples/**\/README.md: the docs a new user follows, in that order. */
function docFiles(): string[] {
  const files = ['README.md'];
  const docs = join(REPO, 'docs');
  if (existsSync(docs)) files.push(...readdirSync(docs).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`));
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(REPO, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(`${dir}/${e.name}`);
      else if (e.name === 'README.md') files.push(`${dir}/${e.name}`);
    }
  };
  if (existsSync(join(REPO, 'examples'))) walk('examples');
  return files;
}

const docs: Array<{ file: string; blocks: DocBlock[] }> = [];
const extractErrors: string[] = [];
for (const file of docFiles()) {
  try {
    const blocks = extractDocBlocks(readFileSync(join(REPO, file), 'utf8'), file);
    if (blocks.length > 0) docs.push({ file, blocks });
  } catch (e) {
    extractErrors.push((e as Error).message);
  }
}

test('the docs mark their quick-start blocks, and every marker is well formed', () => {
  assert.deepEqual(extractErrors, []);
  // Never pass vacuously: a doc test that finds nothing to run tests nothing.
  assert.ok(docs.length > 0, 'no doc marks a block with <!-- doc-test: <doc>/<step> --> (README.md, docs/*.md, examples/**/README.md)');
});

for (const doc of docs) {
  test(`${doc.file} runs as written (${doc.blocks.map((b) => b.name).join(', ')})`, { timeout: DOC_TIMEOUT_MS + 30_000 }, async () => {
    assert.ok(existsSync(VIGIA_BIN), `${VIGIA_BIN} missing: run "npm run build" first (npm test does)`);
    const ports = mentionedPorts(doc.blocks);
    for (const port of ports) {
      assert.ok(await portFree(port), `${doc.file} uses 127.0.0.1:${port}, which another process holds: free it (docs use their documented default ports)`);
    }
    const box = tempDir('vigia-doc-');
    try {
      const result = await runDoc(doc.file, doc.blocks, box.dir);
      const held: number[] = [];
      for (const port of ports) if (!(await portFree(port))) held.push(port);
      const failure = result.failure ?? (held.length ? `port ${held.join(', ')} still held after the doc ended (a process escaped its process group)` : null);
      if (failure) {
        const block = doc.blocks.find((b) => b.name === result.lastBlock);
        const where = block ? `block ${block.name} (${doc.file}:${block.line}${result.failedLine ? `, failed at ${doc.file}:${result.failedLine}` : ''})` : 'before its first block';
        assert.fail(`${doc.file}: ${where}: ${failure}\n--- last ${TAIL_LINES} lines of output ---\n${tail(result.output, TAIL_LINES)}`);
      }
    } finally {
      box.remove();
    }
  });
}

interface DocRun {
  /** Why the doc failed, or null when every block ran and the shell exited 0. */
  failure: string | null;
  /** Name of the block that was running last (the failing one on failure). */
  lastBlock: string | null;
  /** Line in the doc of the command that failed, when bash's ERR trap saw it. */
  failedLine: number | null;
  /** stdout and stderr interleaved, capped to the last bytes. */
  output: string;
}

/** Runs the blocks of one doc in one bash process inside `dir` (see the file comment); always kills its process group. */
async function runDoc(file: string, blocks: readonly DocBlock[], dir: string): Promise<DocRun> {
  const cwd = join(dir, 'repo');
  const home = join(dir, 'home');
  const bin = join(dir, 'bin');
  const tmp = join(dir, 'tmp');
  for (const d of [home, bin, tmp]) mkdirSync(d);
  copyCheckout(cwd);
  writeFileSync(join(bin, 'vigia'), `#!/bin/sh\nexec ${shq(process.execPath)} ${shq(VIGIA_BIN)} "$@"\n`);
  chmodSync(join(bin, 'vigia'), 0o755);
  const progress = join(dir, 'progress');
  writeFileSync(progress, '');
  // Progress goes to a file, not the output, so the doc's own output stays as a user would see it. The ERR trap
  // records the script line of the failing command, mapped back to the doc's line below.
  const script: string[] = [`# ${file}, generated by test/integration/docs-quickstart.test.ts`, `trap 'printf "@%s\\n" "$LINENO" >> ${shq(progress)}' ERR`];
  const starts: Array<{ scriptLine: number; docLine: number }> = [];
  for (const b of blocks) {
    script.push(`printf '%s\\n' ${shq(b.name)} >> ${shq(progress)}`);
    starts.push({ scriptLine: script.length + 1, docLine: b.line + 1 });
    script.push(...b.text.replace(/\n$/, '').split('\n'));
  }
  script.push(`printf '%s\\n' ${shq(DONE)} >> ${shq(progress)}`, '');
  const scriptPath = join(dir, 'doc.sh');
  writeFileSync(scriptPath, script.join('\n'));

  const child = spawn('bash', ['-euo', 'pipefail', scriptPath], {
    cwd,
    // detached: a process group of its own, so one kill reaches every background job the doc started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, TMPDIR: tmp, LANG: 'C.UTF-8', NO_COLOR: '1' },
  });
  const pgid = child.pid!;
  let output = '';
  const collect = (d: Buffer): void => {
    output += d.toString();
    if (output.length > 256_000) output = output.slice(-128_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(pgid, 'SIGKILL');
  }, DOC_TIMEOUT_MS);
  // 'exit', not 'close': background servers keep the pipes open until the group is killed below.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  await killGroup(pgid);

  const lines = readFileSync(progress, 'utf8').split('\n').filter(Boolean);
  const errLine = lines.filter((l) => l.startsWith('@')).map((l) => Number(l.slice(1))).at(-1);
  const steps = lines.filter((l) => !l.startsWith('@'));
  const done = steps.at(-1) === DONE;
  const lastBlock = (done ? steps.at(-2) : steps.at(-1)) ?? null;
  const start = errLine === undefined ? undefined : [...starts].reverse().find((st) => st.scriptLine <= errLine);
  const failedLine = start && errLine !== undefined ? start.docLine + errLine - start.scriptLine : null;
  let failure: string | null = null;
  if (timedOut) failure = `timed out after ${DOC_TIMEOUT_MS / 1000} s`;
  else if (code !== 0) failure = code === null ? `bash killed by ${signal}` : `exit status ${code}`;
  else if (!done) failure = 'the shell exited 0 before the last block ran (an `exit` in a block?)';
  return { failure, lastBlock, failedLine, output };
}

/** Copies what a fresh clone of the checkout holds into `to`, and links node_modules (as after `npm ci`). */
function copyCheckout(to: string): void {
  const ls = spawnSync('git', ['-C', REPO, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(ls.status, 0, `git ls-files failed (the doc test copies a git checkout): ${ls.stderr}`);
  for (const rel of ls.stdout.split('\0')) {
    if (!rel) continue;
    const from = join(REPO, rel);
    const st = lstatSync(from, { throwIfNoEntry: false });
    if (!st) continue; // deleted in the work tree but still in the index
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    // Tracked symlinks (fixture trees mimic /sys) stay symlinks, as git checks them out.
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), join(to, rel));
    else copyFileSync(from, join(to, rel));
  }
  symlinkSync(join(REPO, 'node_modules'), join(to, 'node_modules'));
}

/** Loopback ports the blocks mention (127.0.0.1:N, localhost:N): the documented defaults the doc relies on. */
function mentionedPorts(blocks: readonly DocBlock[]): number[] {
  const ports = new Set<number>();
  for (const b of blocks) for (const m of b.text.matchAll(/(?:127\.0\.0\.1|localhost):(\d{2,5})\b/g)) ports.add(Number(m[1]));
  return [...ports].sort((a, b) => a - b);
}

/** True when 127.0.0.1:`port` can be listened on right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is already empty */
  }
}

/** SIGTERM to the group (servers drain and release their files), then SIGKILL to whatever is left after 5 s. */
async function killGroup(pgid: number): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    signalGroup(pgid, signal);
    for (let i = 0; i < 100 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 50));
    if (!groupAlive(pgid)) return;
  }
  assert.fail(`process group ${pgid} survived SIGKILL`);
}

/** True while a live (non-zombie) process is in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

/** The last `n` lines of `text`. */
function tail(text: string, n: number): string {
  return text.split('\n').slice(-n - 1).join('\n').trimEnd() || '(no output)';
}

/** `s` as one single-quoted shell word. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
