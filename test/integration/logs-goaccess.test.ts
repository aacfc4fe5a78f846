/**
 * GoAccess parity: on generated files holding every parsing edge case (test/support/access-log-edge-cases.ts),
 * our parser's counts equal GoAccess 1.7's (Debian package `goaccess`): total, valid and failed lines,
 * unique visitors, hits per status code, hits per request, hits per hour. GoAccess runs single-threaded
 * with JSON output, times converted to UTC (`%x` + `--datetime-format ... %z` + `--tz=UTC`, as we store
 * them), no line test (`--num-tests=0`), no cap on panel items.
 *
 * Where we differ from GoAccess on purpose, `goaccessView` below turns our result into what GoAccess
 * counts; each difference is one numbered rule there, read from GoAccess 1.7's src/parser.c and
 * src/gstorage.c. Everything else is compared exactly.
 *   D1 Empty lines and lines starting with `#` are skipped by GoAccess (valid_line(): neither valid nor
 *      failed). We count them as rejected ('empty' / 'missing-field') so lines in = stored + rejected.
 *   D2 Lines over our 16 KiB cap are 'too-long' for us (counted, sampled). Debian's GoAccess is built
 *      without --with-getline, so read_lines() reads with fgets() into a 4096-byte buffer: a longer line
 *      becomes pieces of 4095 bytes, each parsed as a line of its own. The first piece (cut inside the
 *      user agent here) is valid with the agent taken as `-` (parse_string() finds no closing quote, %u
 *      falls back to "-"); every further piece fails (it starts mid-agent, not with an IP), and a piece
 *      that is just the LF is skipped like an empty line.
 *   D3 A client that is not an IP address (a hostname, from HostnameLookups On) is a record for us (it
 *      still identifies the client); GoAccess fails the line (%h: invalid_ipaddr()).
 *   D4 A status logged as `-` is status 0 for us (the contract's missing value); GoAccess fails the line
 *      (%s must be 100-599).
 *   D5 Request keys: GoAccess percent-decodes the request (decode_url(), trimmed; kept undecoded if that
 *      leaves nothing), keeps the query in it, and turns a request with a method but no protocol
 *      (HTTP/0.9 `GET /x`) into `-`. We keep the path as logged (percent-encoded, the query apart) and
 *      `GET /x` as method GET, url /x. The view builds GoAccess's key from our record.
 *   D6 Unique visitors: GoAccess counts distinct (date, IP, user agent) but leaves out 4xx lines
 *      (include_uniq(), without --4xx-to-unique-count). Our report decides its own rule; the view applies
 *      GoAccess's to our records.
 *   D8 A line cut short after its request (a writer killed mid-line) is rejected by us ('missing-field',
 *      'unterminated-quote', 'bad-status'); GoAccess accepts a line that ends early once it has the IP,
 *      date and request (parse_format() returns success at the LF; a missing agent or referrer becomes
 *      `-`). The generator cuts lines inside the client or time only, where both reject; the unit tests
 *      cover our side of later cuts.
 *   D7 Escapes: GoAccess keeps `\"` and `\xhh` as logged in agents; we decode them (unescape.ts). Both are
 *      one-to-one on these files, so distinct-agent counts agree; request lines here carry no escapes
 *      except TLS probes, which both keep as logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { compileLogFormat } from '../../src/logs/parse/compile.js';
import { ParseTally, parseChunk } from '../../src/logs/parse/parse-tally.js';
import type { AccessRecord } from '../../src/logs/record.js';
import { requireBinary } from '../support/binaries.js';
import { EDGE_CASE_FORMATS, edgeCaseLog, type EdgeCaseLayout } from '../support/access-log-edge-cases.js';
import { tempDir } from '../support/tmp.js';

/** GoAccess's log-format for each layout (its own COMBINED/VCOMBINED with %x for a UTC date-time). */
const GOACCESS_FORMATS: Readonly<Record<EdgeCaseLayout, string>> = {
  combined: '%h %^[%x] "%r" %s %b "%R" "%u"',
  vhost_combined: '%v:%^ %h %^[%x] "%r" %s %b "%R" "%u"',
  combined_duration: '%h %^[%x] "%r" %s %b "%R" "%u" %D',
};

/** GoAccess's read size: fgets() into a 4096-byte buffer reads 4095 bytes of a long line at a time (D2). */
const PIECE = 4095;

/** The counts compared. */
interface Counts {
  total: number;
  valid: number;
  failed: number;
  uniqueVisitors: number;
  byStatus: Record<string, number>;
  byRequest: Record<string, number>;
  byHour: Record<string, number>;
}

const inc = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** GoAccess's decode_url(): %XX to bytes (read as UTF-8), newlines stripped, trimmed; undecoded if empty. */
function decodeUrl(raw: string): string {
  if (raw === '') return raw;
  const bytes = Buffer.from(raw.replace(/%([0-9a-fA-F]{2})/g, (_a, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  const out = bytes.toString('utf8').replace(/[\r\n]/g, '').trim();
  return out === '' ? raw : out;
}

/**
 * What GoAccess counts, derived from our parse of the same lines (rules D1-D8 in the module comment).
 * `lines` are the file's lines as split at LF (a CRLF line keeps its CR: parseChunk handles it). The
 * records parsed (without the cap) are appended to `parsed`.
 */
function goaccessView(lines: readonly string[], format: string, parsed: AccessRecord[]): Counts {
  const uncapped = compileLogFormat(format, { maxLineLength: Number.POSITIVE_INFINITY }); // D2
  const c: Counts = { total: 0, valid: 0, failed: 0, uniqueVisitors: 0, byStatus: {}, byRequest: {}, byHour: {} };
  const visitors = new Set<string>();
  for (const [i, line] of lines.entries()) {
    if (line === '' || line === '\r' || line.startsWith('#')) continue; // D1
    c.total++;
    let r: AccessRecord | string = parseChunk(uncapped, line, 'web1', new ParseTally())[0] ?? 'rejected';
    if (typeof r === 'object') parsed.push(r);
    const bytes = Buffer.byteLength(line, 'latin1') + (i < lines.length - 1 ? 1 : 0);
    if (bytes > PIECE) { // D2
      const pieces = Math.ceil(bytes / PIECE) - (bytes % PIECE === 1 ? 1 : 0);
      c.total += pieces - 1;
      c.failed += pieces - 1;
      assert.ok(typeof r === 'object', 'long lines are valid lines');
      const agentAt = line.lastIndexOf(r.agent);
      assert.ok(agentAt < PIECE && agentAt + r.agent.length > PIECE, 'the 4095-byte cut falls inside the agent');
      r = { ...r, agent: '' };
    }
    if (typeof r === 'string' || isIP(r.client) === 0 || r.status === 0) { // D3, D4
      c.failed++;
      continue;
    }
    c.valid++;
    inc(c.byStatus, String(r.status));
    inc(c.byRequest, goaccessRequestKey(r));
    inc(c.byHour, String(new Date(r.ts).getUTCHours()).padStart(2, '0'));
    if (r.status < 400 || r.status > 499) visitors.add(`${new Date(r.ts).toISOString().slice(0, 10)}|${r.client}|${r.agent}`); // D6
  }
  c.uniqueVisitors = visitors.size;
  return c;
}

/** D5: the request key GoAccess shows for our record. */
function goaccessRequestKey(r: AccessRecord): string {
  if (r.method === '') return decodeUrl(r.url);
  if (r.protocol === '') return '-';
  return decodeUrl(r.query === '' ? r.url : `${r.url}?${r.query}`);
}

/** Runs GoAccess on the file; its counts. */
function goaccessCounts(file: string, layout: EdgeCaseLayout, out: string): Counts {
  execFileSync(requireBinary('goaccess'), [
    file, '--no-global-config', `--log-format=${GOACCESS_FORMATS[layout]}`, '--datetime-format=%d/%b/%Y:%H:%M:%S %z', '--tz=UTC',
    '--num-tests=0', '--max-items=1000000', '-o', out,
  ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  type Item = { data: string; hits: { count: number }; items?: Item[] };
  const j = JSON.parse(readFileSync(out, 'utf8')) as Record<string, { data: Item[] }> & { general: Record<string, number> };
  const c: Counts = {
    total: j.general.total_requests!, valid: j.general.valid_requests!, failed: j.general.failed_requests!,
    uniqueVisitors: j.general.unique_visitors!, byStatus: {}, byRequest: {}, byHour: {},
  };
  for (const group of j.status_codes!.data) for (const s of group.items ?? []) c.byStatus[s.data.slice(0, 3)] = s.hits.count;
  // Every valid line lands in exactly one of the three request panels (404s, static files, the rest).
  for (const panel of ['requests', 'static_requests', 'not_found']) {
    for (const r of j[panel]!.data) c.byRequest[r.data] = (c.byRequest[r.data] ?? 0) + r.hits.count;
  }
  for (const h of j.visit_time!.data) c.byHour[h.data] = h.hits.count;
  return c;
}

for (const layout of ['combined', 'vhost_combined', 'combined_duration'] as const) {
  test(`GoAccess 1.7 parity on generated edge cases: ${layout}`, () => {
    const { dir, remove } = tempDir('vigia-goaccess-');
    try {
      const file = join(dir, 'access.log');
      const text = edgeCaseLog({ layout, lines: 20_000, seed: 15 });
      writeFileSync(file, text, 'latin1');
      const format = EDGE_CASE_FORMATS[layout];
      // Ours: the file through parseChunk, as import and the collector run it.
      const tally = new ParseTally();
      const records = parseChunk(compileLogFormat(format), text, 'web1', tally);
      const lines = text.split('\n');
      assert.equal(tally.parsed + tally.rejected, lines.length, 'every line is counted: parsed or rejected');
      assert.equal(records.length, tally.parsed);
      // The file holds every edge case the comparison is meant to cover.
      for (const reason of ['empty', 'too-long', 'missing-field'] as const) assert.ok(tally.count(reason) > 0, `no ${reason} lines generated`);
      assert.ok(records.some((r) => r.method === '' && r.url.startsWith('\\x16')), 'TLS probes');
      assert.ok(records.some((r) => r.client.includes(':')), 'IPv6');
      assert.ok(records.some((r) => r.agent.includes('"')), 'escaped quotes');
      assert.ok(records.some((r) => isIP(r.client) === 0) && records.some((r) => r.status === 0), 'hostnames and - statuses (D3, D4)');

      const uncappedRecords: AccessRecord[] = [];
      const expected = goaccessView(lines, format, uncappedRecords);
      // The view parses line by line without the cap; the file parsed as one chunk gives the same records,
      // less the long lines.
      assert.deepEqual(records, uncappedRecords.filter((r) => r.agent.length < 16_000));
      const actual = goaccessCounts(file, layout, join(dir, 'report.json'));
      assert.deepEqual(
        { total: actual.total, valid: actual.valid, failed: actual.failed, uniqueVisitors: actual.uniqueVisitors },
        { total: expected.total, valid: expected.valid, failed: expected.failed, uniqueVisitors: expected.uniqueVisitors },
      );
      assert.deepEqual(actual.byStatus, expected.byStatus, 'hits per status code');
      assert.deepEqual(actual.byHour, expected.byHour, 'hits per hour (UTC)');
      assert.deepEqual(actual.byRequest, expected.byRequest, 'hits per request');
      // The view's adjustments are small next to what is compared exactly.
      assert.ok(expected.valid > 15_000, `valid ${expected.valid}`);
    } finally {
      remove();
    }
  });
}
