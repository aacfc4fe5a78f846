/**
 * The parse benchmark of `vigia logs` (issue 15): lines/s on one generated file of realistic access-log
 * lines (test/support/access-log-edge-cases.ts, `realistic`: one UTC offset, 2 % edge cases, no over-long
 * lines), for
 *   split       a bare line split (indexOf + substring per line): the floor for any parser in Node;
 *   combined    compileLogFormat('combined') through parseChunk (as import and the collector run it);
 *   logformat   the same file, the format given as an Apache LogFormat string with %D (a custom format);
 *   json        the same requests as nginx escape=json lines (compileLogFormat('json'));
 *   goaccess    GoAccess 1.7 on the combined file (`--log-format=COMBINED`, JSON report), one thread.
 * The text is read into ~1 MiB chunks (cut at LF) before timing, so disk I/O is out of every figure but
 * GoAccess's (it reads the file itself; the file is in the page cache after our read).
 *
 * Each target runs --rounds times, interleaved; the median is reported. Two rates per target: wall
 * (lines / elapsed) and CPU (lines / CPU-seconds of this process, GC threads included; for GoAccess its
 * user+sys time from /usr/bin/time). On this shared 2-core machine the CPU rate is the one-core figure
 * (other sessions' load stretches wall time, not CPU time). Targets: combined >= 1,000,000 lines per
 * CPU-second; combined >= 10x GoAccess per CPU-second.
 *
 *   node --import tsx bench/logs-parse.ts [--lines N] [--rounds N]
 * `npm run bench:logs` (bench/logs.ts) calls benchParse(file) once per round for our combined rate on its
 * own simulated file; benchParse(options) runs the whole comparison and returns its rows.
 */
import { spawnSync } from 'node:child_process';
import { openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileLogFormat } from '../src/logs/parse/compile.js';
import { ParseTally, parseChunk } from '../src/logs/parse/parse-tally.js';
import { EDGE_CASE_FORMATS, edgeCaseLog } from '../test/support/access-log-edge-cases.js';
import { requireBinary } from '../test/support/binaries.js';
import { tempDir } from '../test/support/tmp.js';
import { fmtInt, fmtRatio, median, table, verdict } from './support/report.js';

/** One measured target. */
export interface ParseBenchRow {
  readonly name: string;
  /** Median lines per wall-clock second. */
  readonly linesPerSec: number;
  /** Median lines per CPU-second. */
  readonly linesPerCpuSec: number;
  /** linesPerSec relative to the bare split (wall). */
  readonly ratio: number;
  /** linesPerCpuSec relative to GoAccess's (CPU). */
  readonly vsGoaccess: number;
}

/** What to measure. */
export interface ParseBenchOptions {
  /** Lines in the generated file (default 1,000,000). */
  readonly lines?: number;
  /** Interleaved rounds; the median is reported (default 3). */
  readonly rounds?: number;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

/** Reads a file into strings of about `size` bytes, each ending at an LF (the last may not). */
function readChunks(path: string, size = 1 << 20): string[] {
  const fd = openSync(path, 'r');
  const chunks: string[] = [];
  const buf = Buffer.allocUnsafe(size);
  let carry = '';
  try {
    for (let n = readSync(fd, buf, 0, size, null); n > 0; n = readSync(fd, buf, 0, size, null)) {
      const text = carry + buf.toString('latin1', 0, n);
      const cut = text.lastIndexOf('\n') + 1;
      if (cut > 0) chunks.push(text.slice(0, cut));
      carry = text.slice(cut);
    }
  } finally {
    closeSync(fd);
  }
  if (carry) chunks.push(carry);
  // One flat string per chunk, as a decoder hands them over (a slice of a concatenation is not flat).
  return chunks.map((c) => Buffer.from(c, 'latin1').toString('latin1'));
}

/** The same requests as nginx escape=json lines (NGINX_JSON_LOG_FORMAT's keys). */
function toJsonLines(chunks: readonly string[]): string {
  const p = compileLogFormat('combined');
  const out: string[] = [];
  for (const c of chunks) {
    for (const r of parseChunk(p, c, 'web1', new ParseTally())) {
      const d = new Date(r.ts).toISOString().slice(0, 19);
      out.push(JSON.stringify({
        time_iso8601: `${d}+00:00`, remote_addr: r.client, remote_user: r.user, request: `${r.method} ${r.url}${r.query ? `?${r.query}` : ''} ${r.protocol}`,
        status: String(r.status), body_bytes_sent: String(r.bytes), request_time: '0.004', http_referer: r.referrer, http_user_agent: r.agent, host: 'www.example.com',
      }));
    }
  }
  return `${out.join('\n')}\n`;
}

/** Wall and CPU seconds of fn. */
function timed(fn: () => number): { lines: number; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const lines = fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { lines, wall, cpu: (c.user + c.system) / 1e6 };
}

/** Our combined rate on a caller's file (what bench/logs.ts asks for). */
export interface FileParseRate {
  /** Lines per CPU-second of compileLogFormat('combined') through parseChunk on ~1 MiB chunks. */
  readonly linesPerSecond: number;
  readonly lines: number;
  readonly rejected: number;
}

/**
 * benchParse(file): one measurement of our combined parser on that file (read into chunks first, so
 * disk I/O is out). benchParse(options): the whole comparison on a generated file, one row per target
 * (split first).
 */
export async function benchParse(file: string): Promise<FileParseRate>;
export async function benchParse(options?: ParseBenchOptions): Promise<ParseBenchRow[]>;
export async function benchParse(input: string | ParseBenchOptions = {}): Promise<FileParseRate | ParseBenchRow[]> {
  if (typeof input === 'string') {
    const chunks = readChunks(input);
    const parser = compileLogFormat('combined');
    const tally = new ParseTally();
    const r = timed(() => {
      for (const c of chunks) parseChunk(parser, c, 'web1', tally);
      return tally.parsed + tally.rejected;
    });
    return { linesPerSecond: r.lines / r.cpu, lines: r.lines, rejected: tally.rejected };
  }
  return compare(input);
}

async function compare(options: ParseBenchOptions): Promise<ParseBenchRow[]> {
  const lines = options.lines ?? 1_000_000;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const goaccess = requireBinary('goaccess');
  const time = requireBinary('time');
  const work = tempDir('vigia-bench-parse-');
  try {
    log(`bench:logs-parse: generating ${fmtInt(lines)} lines`);
    const combinedFile = join(work.dir, 'access.log');
    const durationFile = join(work.dir, 'access-d.log');
    writeFileSync(combinedFile, edgeCaseLog({ layout: 'combined', lines, seed: 42, edgeShare: 0.02, longLines: false, realistic: true }), 'latin1');
    writeFileSync(durationFile, edgeCaseLog({ layout: 'combined_duration', lines, seed: 42, edgeShare: 0.02, longLines: false, realistic: true }), 'latin1');
    const combined = readChunks(combinedFile);
    const withDuration = readChunks(durationFile);
    const json = readChunks(writeJson(join(work.dir, 'access.json'), toJsonLines(combined)));
    const targets: Record<string, () => { lines: number; wall: number; cpu: number }> = {
      split: () => timed(() => {
        let n = 0;
        for (const c of combined) {
          for (let s = 0; s < c.length;) {
            let e = c.indexOf('\n', s);
            if (e < 0) e = c.length;
            if (c.substring(s, e).length >= 0) n++;
            s = e + 1;
          }
        }
        return n;
      }),
      combined: () => parseAll('combined', combined),
      logformat: () => parseAll(EDGE_CASE_FORMATS.combined_duration, withDuration),
      json: () => parseAll('json', json),
      goaccess: () => {
        const r = spawnSync(time, ['-f', '%e %U %S', goaccess, combinedFile, '--no-global-config', '--log-format=COMBINED', '-o', join(work.dir, 'ga.json')], { encoding: 'utf8', timeout: 600_000 });
        const m = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
        if (r.status !== 0 || !m) throw new Error(`goaccess failed: ${r.stderr?.slice(-300)}`);
        return { lines, wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
      },
    };
    const results: Record<string, { wall: number[]; cpu: number[] }> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(targets)) {
        const r = run();
        (results[name] ??= { wall: [], cpu: [] }).wall.push(r.lines / r.wall);
        results[name]!.cpu.push(r.lines / r.cpu);
        log(`round ${round + 1}/${rounds} ${name}: ${fmtInt(r.lines / r.wall)} lines/s, ${fmtInt(r.lines / r.cpu)} lines/CPU-s`);
      }
    }
    const split = median(results.split!.wall);
    const ga = median(results.goaccess!.cpu);
    return Object.entries(results).map(([name, r]) => ({
      name,
      linesPerSec: median(r.wall),
      linesPerCpuSec: median(r.cpu),
      ratio: median(r.wall) / split,
      vsGoaccess: median(r.cpu) / ga,
    }));
  } finally {
    work.remove();
  }
}

function writeJson(path: string, text: string): string {
  writeFileSync(path, text, 'latin1');
  return path;
}

/** Parses every chunk with a fresh parser of `format`; the number of lines seen. */
function parseAll(format: string, chunks: readonly string[]): { lines: number; wall: number; cpu: number } {
  const parser = compileLogFormat(format);
  const tally = new ParseTally();
  return timed(() => {
    for (const c of chunks) parseChunk(parser, c, 'web1', tally);
    return tally.parsed + tally.rejected;
  });
}

/** The table benchParse's rows print as. */
export function parseBenchTable(rows: readonly ParseBenchRow[]): string {
  const combined = rows.find((r) => r.name === 'combined');
  return table([
    ['target', 'lines/s (wall)', 'x split', 'lines/CPU-s', 'x goaccess (CPU)', 'target'],
    ...rows.map((r) => [
      r.name, fmtInt(r.linesPerSec), fmtRatio(r.ratio), fmtInt(r.linesPerCpuSec), fmtRatio(r.vsGoaccess),
      r === combined ? `${verdict(r.linesPerCpuSec >= 1_000_000)} >=1M/CPU-s, ${verdict(r.vsGoaccess >= 10)} >=10x goaccess` : '',
    ]),
  ], [false, true, true, true, true, false]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, def: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    const v = i > 0 ? Number(process.argv[i + 1]) : def;
    if (!Number.isInteger(v) || v < 1) {
      process.stderr.write(`bench: --${name} must be a positive integer\n`);
      process.exit(2);
    }
    return v;
  };
  const rows = await benchParse({ lines: arg('lines', 1_000_000), rounds: arg('rounds', 3) });
  process.stdout.write(`${parseBenchTable(rows)}\n`);
}
