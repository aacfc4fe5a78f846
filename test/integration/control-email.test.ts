/**
 * Report emails end to end: build a report from synthetic store data, compose, send through a real
 * SMTP server with STARTTLS and AUTH, and read the MIME back with mailparser like a mail client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { PNG } from 'pngjs';
import { buildCapacityReport } from '../../src/control/reports/capacity.js';
import { CAPACITY_CHART_CIDS, composeCapacityEmail, composePerformanceEmail, parseSmtpConfig, sendEmail } from '../../src/control/reports/email.js';
import { parseCsv } from '../../src/control/reports/format.js';
import { buildPerformanceReport } from '../../src/control/reports/performance.js';
import { parseReportPolicy } from '../../src/control/reports/policy.js';
import { CAPACITY_CSV_HEADER } from '../../src/control/reports/render-capacity.js';
import { syntheticCapacityData, syntheticPerformanceData } from '../../src/control/reports/synthetic.js';
import { isVigiaError } from '../../src/core/errors.js';
import { startSmtpServer } from '../support/smtp.js';
import type { TestSmtpServer } from '../support/smtp.js';
import { tempDir } from '../support/tmp.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');
const policy = parseReportPolicy({ recipients: ['dba@example.com', 'sre@example.com'], from: 'vigia@example.com', htmlMaxRows: 50 });
let smtp: TestSmtpServer;
let tmp: { dir: string; remove: () => void };

before(async () => {
  smtp = await startSmtpServer({ user: 'reports', password: 's3cret-Pa55word' });
  tmp = tempDir('vigia-email-');
  writeFileSync(join(tmp.dir, 'pass'), `${smtp.password}\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'wrong'), 'not-the-Pa55word\n', { mode: 0o600 });
});
after(async () => {
  await smtp?.close();
  tmp?.remove();
});

function smtpConfig(passFile: string) {
  return parseSmtpConfig({
    url: `smtp://localhost:${smtp.port}`,
    starttls: 'required',
    auth: { user: smtp.user, passFile },
    tls: { caFile: smtp.caFile },
    timeouts: { connectionMs: 5000, greetingMs: 5000, socketMs: 10_000 },
  });
}

async function lastParsed(n: number): Promise<ParsedMail> {
  const msgs = await smtp.waitForMessages(n);
  const m = msgs[n - 1]!;
  assert.equal(m.secure, true, 'message went over STARTTLS');
  assert.equal(m.user, smtp.user, 'message was authenticated');
  // skipImageLinks keeps `cid:` references as sent instead of inlining data: URIs.
  return simpleParser(m.raw, { skipImageLinks: true });
}

test('capacity email: counts, worst rows, stale first, full CSV, inline PNG charts', async () => {
  const data = syntheticCapacityData({ hosts: 1000, now: NOW, critical: 17, warning: 33, stale: 4, neverReported: 2 });
  const report = buildCapacityReport(data, policy, NOW);
  const before = smtp.messages.length;
  const res = await sendEmail(smtpConfig(join(tmp.dir, 'pass')), composeCapacityEmail(report, policy));
  assert.deepEqual([...res.accepted].sort(), ['dba@example.com', 'sre@example.com']);
  const mail = await lastParsed(before + 1);

  assert.equal(mail.subject, '[vigia] capacity: 17 critical, 33 warning, 6 stale of 1,000 hosts');
  assert.equal(mail.subject, report.summary);
  const m = /capacity: (\d+) critical, (\d+) warning, (\d+) stale of ([\d,]+) hosts/.exec(mail.subject ?? '')!;
  assert.deepEqual(m.slice(1).map((x) => Number(x.replace(/,/g, ''))), [report.totals.critical, report.totals.warning, report.totals.stale, report.totals.hosts]);

  const html = typeof mail.html === 'string' ? mail.html : '';
  assert.ok(html.length > 0);
  const staleAt = html.indexOf('Stale hosts');
  const volumesAt = html.indexOf('Volumes needing attention');
  assert.ok(staleAt >= 0 && staleAt < volumesAt, 'stale hosts come first');
  for (const s of report.stale) {
    const at = html.indexOf(`>${s.host}<`);
    assert.ok(at > staleAt && at < volumesAt, `stale ${s.host} listed in the stale section`);
  }
  const worst = report.rows.slice(0, 10);
  let prev = volumesAt;
  for (const r of worst) {
    const at = html.indexOf(`>${r.host}<`, prev);
    assert.ok(at > prev, `worst row ${r.host} ${r.mountpoint} in order`);
    prev = at;
  }
  assert.match(html, /Showing the worst 50 of/);
  assert.ok(!/<script/i.test(html));
  assert.ok(mail.text && mail.text.startsWith(report.summary));

  const csvAtt = mail.attachments.find((a) => a.filename === 'capacity-2026-12-01.csv');
  assert.ok(csvAtt, 'CSV attachment');
  const rows = parseCsv(csvAtt.content.toString('utf8'));
  assert.deepEqual(rows[0], [...CAPACITY_CSV_HEADER]);
  assert.equal(rows.length - 1, data.volumes.length, 'one CSV row per host-volume');
  const keys = new Set(rows.slice(1).map((r) => `${r[0]}|${r[2]}`));
  assert.equal(keys.size, data.volumes.length);

  const staleAtt = mail.attachments.find((a) => a.filename === 'stale-hosts-2026-12-01.csv');
  assert.ok(staleAtt, 'stale hosts CSV attachment');
  assert.deepEqual(parseCsv(staleAtt.content.toString('utf8')).slice(1).map((r) => r[0]), report.stale.map((s) => s.host));

  for (const cid of Object.values(CAPACITY_CHART_CIDS)) {
    assert.ok(html.includes(`src="cid:${cid}"`), `HTML references ${cid}`);
    const img = mail.attachments.find((a) => a.cid === cid);
    assert.ok(img, `inline image ${cid}`);
    assert.equal(img.contentType, 'image/png');
    assert.ok(img.content.length < 30 * 1024);
    const png = PNG.sync.read(img.content);
    assert.ok(png.width > 0 && png.height > 0);
  }
});

test('performance email: subject, ranked hot hosts, CSV with every host', async () => {
  const data = syntheticPerformanceData({ hosts: 1000, day: '2026-11-30', hot: 12, silent: 5 });
  const report = buildPerformanceReport(data, { policy, now: NOW });
  const before = smtp.messages.length;
  await sendEmail(smtpConfig(join(tmp.dir, 'pass')), composePerformanceEmail(report, policy));
  const mail = await lastParsed(before + 1);
  assert.equal(mail.subject, '[vigia] performance 2026-11-30: 1,000 hosts, 12 hot, 5 silent');
  const html = typeof mail.html === 'string' ? mail.html : '';
  assert.ok(html.indexOf('Silent hosts') < html.indexOf('Hosts by pressure'));
  assert.ok(html.indexOf(`>${report.hosts[0]!.host}<`) > html.indexOf('Hosts by pressure'));
  const csv = mail.attachments.find((a) => a.filename === 'performance-2026-11-30.csv');
  assert.ok(csv);
  assert.equal(parseCsv(csv.content.toString('utf8')).length - 1, 1000);
  assert.ok(mail.attachments.some((a) => a.filename === 'filesystems-2026-11-30.csv'));
});

test('a hostile mountpoint, device and error reach the mail client escaped: no raw ESC, BEL or U+202E in subject, bodies or attachments', async () => {
  // An OSC 8 hyperlink to a hostile site, a BEL and a right-to-left override, as a host could report them.
  const evil = '/\u001b]8;;http://evil\u0007x\u202e';
  const data = syntheticCapacityData({ hosts: 30, now: NOW, critical: 3, warning: 2, stale: 2 });
  const hostile = {
    ...data,
    hosts: data.hosts.map((h) => ({ ...h, lastError: `refused: ${evil}` })),
    volumes: data.volumes.map((v) => ({ ...v, mountpoint: `${v.mountpoint}${evil}`, device: `${v.device}${evil}`, error: evil })),
  };
  const report = buildCapacityReport(hostile, policy, NOW);
  const before = smtp.messages.length;
  await sendEmail(smtpConfig(join(tmp.dir, 'pass')), composeCapacityEmail({ ...report, summary: `${report.summary} ${evil}` }, policy));
  const raw = (await smtp.waitForMessages(before + 1))[before]!.raw;
  const mail = await lastParsed(before + 1);
  const unsafe = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;
  const parts: [string, string][] = [
    ['raw message', raw.toString('utf8')],
    ['subject', mail.subject ?? ''],
    ['text', mail.text ?? ''],
    ['html', typeof mail.html === 'string' ? mail.html : ''],
    ...mail.attachments.filter((a) => a.contentType.startsWith('text/csv')).map((a): [string, string] => [a.filename ?? 'csv', a.content.toString('utf8')]),
  ];
  for (const [what, text] of parts) {
    const m = unsafe.exec(text);
    assert.equal(m, null, `${what} holds a raw U+${m?.[0].codePointAt(0)?.toString(16)}`);
  }
  assert.ok(!/[\r\n]/.test(mail.subject ?? ''));
  assert.ok(mail.subject?.endsWith('\\x1b]8;;http://evil\\x07x\\u202e'), 'the subject shows the text, escaped');
  assert.ok((mail.text ?? '').includes('\\x1b]8;;http://evil\\x07x\\u202e'));
  const csv = mail.attachments.find((a) => a.filename?.startsWith('capacity-'))!;
  const rows = parseCsv(csv.content.toString('utf8'));
  assert.ok(rows[1]![CAPACITY_CSV_HEADER.indexOf('mountpoint')]!.endsWith('\\x1b]8;;http://evil\\x07x\\u202e'));
});

test('wrong password: CONTROL_ERR_EMAIL_FAILED at auth, password not in the message', async () => {
  const data = syntheticCapacityData({ hosts: 5, now: NOW, critical: 1 });
  const msg = composeCapacityEmail(buildCapacityReport(data, policy, NOW), policy);
  const failuresBefore = smtp.authFailures();
  await assert.rejects(sendEmail(smtpConfig(join(tmp.dir, 'wrong')), msg), (err: unknown) => {
    assert.ok(isVigiaError(err, 'CONTROL_ERR_EMAIL_FAILED'), String(err));
    assert.match(err.message, /auth: .*535/);
    const everything = `${err.message} ${String((err.cause as Error | undefined)?.message)} ${err.stack}`;
    assert.ok(!everything.includes('not-the-Pa55word'), 'password leaked');
    assert.ok(!everything.includes(Buffer.from('not-the-Pa55word').toString('base64')), 'base64 password leaked');
    return true;
  });
  assert.equal(smtp.authFailures(), failuresBefore + 1);
});

test('untrusted certificate and missing password file fail with the step named', async () => {
  const msg = composeCapacityEmail(buildCapacityReport(syntheticCapacityData({ hosts: 2, now: NOW }), policy, NOW), policy);
  const noCa = parseSmtpConfig({ host: '127.0.0.1', port: smtp.port, auth: { user: smtp.user, passFile: join(tmp.dir, 'pass') }, timeouts: { connectionMs: 3000, greetingMs: 3000, socketMs: 5000 } });
  await assert.rejects(sendEmail(noCa, msg), (err: unknown) => isVigiaError(err, 'CONTROL_ERR_EMAIL_FAILED') && /^email could not be delivered: tls: .*certificate/.test(err.message));
  const noFile = smtpConfig(join(tmp.dir, 'missing'));
  await assert.rejects(sendEmail(noFile, msg), (err: unknown) => isVigiaError(err, 'CONTROL_ERR_EMAIL_FAILED') && /read password file: .*ENOENT/.test(err.message));
});
