/**
 * Host-reported text (mountpoints, devices, errors, check output) is attacker-controlled: a report
 * rendering must never hand a terminal, a mail client or a spreadsheet a raw control or format
 * character (ESC/OSC sequences, BEL, bidi overrides such as U+202E).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CapacityData, PerformanceData } from '../store/control-store.js';
import { buildCapacityReport } from './capacity.js';
import { composeCapacityEmail, composePerformanceEmail } from './email.js';
import { parseCsv } from './format.js';
import { buildPerformanceReport } from './performance.js';
import { parseReportPolicy } from './policy.js';
import { renderCapacityCsv, renderCapacityHtml, renderCapacityJson, renderCapacityTable, renderStaleCsv } from './render-capacity.js';
import { renderPerformanceCsv, renderPerformanceFilesystemsCsv, renderPerformanceHtml, renderPerformanceJson, renderPerformanceTable } from './render-performance.js';
import { syntheticCapacityData, syntheticPerformanceData } from './synthetic.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');
const policy = parseReportPolicy({ recipients: ['dba@example.com'], from: 'vigia@example.com' });

/** An OSC 8 hyperlink to a hostile site, a BEL, and a right-to-left override. */
const EVIL = '/\u001b]8;;http://evil\u0007x\u202e';
/** Any control (Cc), format (Cf) or line/paragraph separator character but the line ends a document may hold. */
const RAW = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

function assertClean(what: string, text: string, allowLineEnds = true): void {
  const m = RAW.exec(allowLineEnds ? text.replace(/\r?\n/g, '') : text);
  assert.equal(m, null, `${what} holds a raw U+${m ? m[0].codePointAt(0)!.toString(16).padStart(4, '0') : ''}`);
}

function hostileCapacityData(): CapacityData {
  const data = syntheticCapacityData({ hosts: 40, now: NOW, critical: 3, warning: 2, stale: 2, neverReported: 1 });
  return {
    ...data,
    hosts: data.hosts.map((h) => ({ ...h, lastError: `refused: ${EVIL}` })),
    volumes: data.volumes.map((v) => ({ ...v, mountpoint: `${v.mountpoint}${EVIL}`, device: `${v.device}${EVIL}`, fstype: `xfs${EVIL}`, error: EVIL })),
  };
}

test('capacity renderings of a hostile mountpoint, device, fstype and error hold no raw control or bidi character', () => {
  const report = buildCapacityReport(hostileCapacityData(), policy, NOW);
  assert.ok(report.rows.some((r) => r.mountpoint.includes('\u202e')), 'the report itself keeps the stored text');

  const table = renderCapacityTable(report, { includeOk: true });
  assertClean('table', table);
  assert.ok(table.includes('\\x1b]8;;http://evil\\x07x\\u202e'), 'the text is shown, escaped');

  const csv = renderCapacityCsv(report);
  assertClean('CSV', csv);
  const cells = parseCsv(csv).slice(1);
  assert.ok(cells.every((row) => row.every((c) => !RAW.test(c))), 'no cell holds a raw control character once parsed');
  assertClean('stale CSV', renderStaleCsv(report));

  const html = renderCapacityHtml(report, { maxRows: 500 });
  assertClean('HTML', html);
  assert.ok(html.includes('\\x1b]8;;http://evil\\x07x\\u202e'));

  const json = renderCapacityJson(report);
  assertClean('JSON', json);
  assert.deepEqual(JSON.parse(json).rows[0].mountpoint, report.rows[0]!.mountpoint, 'JSON keeps the exact text for machines, escaped');
});

test('capacity email: subject, text, HTML, CSV attachments and chart captions hold no raw control or bidi character', () => {
  const report = buildCapacityReport(hostileCapacityData(), policy, NOW);
  const mail = composeCapacityEmail({ ...report, summary: `${report.summary} ${EVIL}` }, policy);
  assertClean('subject', String(mail.subject), false);
  assertClean('text', String(mail.text));
  assertClean('html', String(mail.html));
  for (const a of mail.attachments ?? []) if (typeof a.content === 'string') assertClean(String(a.filename), a.content);
});

function hostilePerformanceData(): PerformanceData {
  const data = syntheticPerformanceData({ hosts: 20, day: '2026-11-30', hot: 3, silent: 1 });
  return {
    ...data,
    disks: data.disks.map((d) => ({ ...d, device: `${d.device}${EVIL}` })),
    filesystems: data.filesystems.map((f) => ({ ...f, mountpoint: `${f.mountpoint}${EVIL}`, device: `${f.device}${EVIL}`, fstype: `ext4${EVIL}` })),
  };
}

test('performance renderings and email of hostile devices and mountpoints hold no raw control or bidi character', () => {
  const report = buildPerformanceReport(hostilePerformanceData(), { policy, now: NOW });
  assertClean('table', renderPerformanceTable(report));
  assertClean('CSV', renderPerformanceCsv(report));
  assertClean('filesystems CSV', renderPerformanceFilesystemsCsv(report));
  assertClean('HTML', renderPerformanceHtml(report));
  assertClean('JSON', renderPerformanceJson(report));
  const mail = composePerformanceEmail({ ...report, summary: `${report.summary}${EVIL}` }, policy);
  assertClean('subject', String(mail.subject), false);
  assertClean('text', String(mail.text));
  assertClean('html', String(mail.html));
  for (const a of mail.attachments ?? []) if (typeof a.content === 'string') assertClean(String(a.filename), a.content);
});
