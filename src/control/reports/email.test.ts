import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCapacityReport } from './capacity.js';
import { CAPACITY_CHART_CIDS, composeCapacityEmail, parseSmtpConfig } from './email.js';
import { parseReportPolicy } from './policy.js';
import { syntheticCapacityData } from './synthetic.js';

const NOW = new Date('2026-12-01T07:00:00.000Z');

test('parseSmtpConfig: valid inputs normalise, table', () => {
  const cases: { input: unknown; want: { host: string; port: number; secure: boolean; starttls: string } }[] = [
    { input: { url: 'smtp://mail.example.com' }, want: { host: 'mail.example.com', port: 587, secure: false, starttls: 'required' } },
    { input: { url: 'smtps://mail.example.com' }, want: { host: 'mail.example.com', port: 465, secure: true, starttls: 'required' } },
    { input: { url: 'smtp://10.0.0.1:2525', starttls: 'opportunistic' }, want: { host: '10.0.0.1', port: 2525, secure: false, starttls: 'opportunistic' } },
    { input: { host: 'relay', port: 25, starttls: 'disabled' }, want: { host: 'relay', port: 25, secure: false, starttls: 'disabled' } },
    { input: { host: 'relay', secure: true }, want: { host: 'relay', port: 465, secure: true, starttls: 'required' } },
  ];
  for (const c of cases) {
    const got = parseSmtpConfig(c.input);
    assert.deepEqual({ host: got.host, port: got.port, secure: got.secure, starttls: got.starttls }, c.want, JSON.stringify(c.input));
    assert.equal(got.tls.rejectUnauthorized, true);
    assert.equal(got.timeouts.connectionMs, 10_000);
  }
});

test('parseSmtpConfig: errors name the field, table', () => {
  const cases: { input: unknown; msg: RegExp }[] = [
    { input: {}, msg: /smtp\.host: set exactly one of url or host/ },
    { input: { url: 'smtp://a', host: 'b' }, msg: /smtp\.host: set exactly one of url or host/ },
    { input: { url: 'not a url' }, msg: /smtp\.url: Invalid url/ },
    { input: { url: 'http://a' }, msg: /smtp\.url: scheme must be smtp: or smtps:/ },
    { input: { url: 'smtp://u:hunter2@a' }, msg: /smtp\.url: must not hold credentials/ },
    { input: { host: 'a', port: 70000 }, msg: /smtp\.port/ },
    { input: { host: 'a', starttls: 'maybe' }, msg: /smtp\.starttls/ },
    { input: { host: 'a', auth: { user: 'u', pass: 'p' } }, msg: /smtp\.auth.*(passFile|Unrecognized key)/ },
    { input: { host: 'a', timeouts: { socketMs: 5 } }, msg: /smtp\.timeouts\.socketMs/ },
    { input: { host: 'a', secure: true, starttls: 'disabled' }, msg: /smtp\.starttls: meaningless/ },
  ];
  for (const c of cases) {
    assert.throws(() => parseSmtpConfig(c.input), (e: Error & { code?: string }) => e.code === 'VIGIA_ERR_CONFIG' && c.msg.test(e.message) && !e.message.includes('hunter2'), `${JSON.stringify(c.input)}`);
  }
});

test('composeCapacityEmail: subject, recipients, cids, CSV name; refuses without from/to', () => {
  const policy = parseReportPolicy({ recipients: ['a@example.com'], from: 'vigia@example.com' });
  const report = buildCapacityReport(syntheticCapacityData({ hosts: 20, now: NOW, critical: 1, stale: 1 }), policy, NOW);
  const msg = composeCapacityEmail(report, policy);
  assert.equal(msg.subject, '[vigia] capacity: 1 critical, 0 warning, 1 stale of 20 hosts');
  assert.deepEqual(msg.to, ['a@example.com']);
  const atts = msg.attachments ?? [];
  assert.deepEqual(atts.map((a) => a.filename), ['usage-histogram.png', 'top-growers.png', 'capacity-2026-12-01.csv', 'stale-hosts-2026-12-01.csv']);
  for (const cid of Object.values(CAPACITY_CHART_CIDS)) assert.ok(String(msg.html).includes(`cid:${cid}`));
  assert.throws(() => composeCapacityEmail(report, parseReportPolicy({})), /reports\.from/);
  assert.throws(() => composeCapacityEmail(report, parseReportPolicy({ from: 'v@example.com' })), /reports\.recipients/);
});

test('composeCapacityEmail: once hosts go silent the subject still counts their critical volumes', () => {
  const policy = parseReportPolicy({ recipients: ['a@example.com'], from: 'vigia@example.com' });
  const data = syntheticCapacityData({ hosts: 20, now: NOW, critical: 2 });
  const report = buildCapacityReport(data, policy, new Date(NOW.getTime() + 86_400_000));
  const msg = composeCapacityEmail(report, policy);
  assert.equal(msg.subject, '[vigia] capacity: 2 critical (2 stale), 0 warning, 20 stale of 20 hosts');
  assert.match(String(msg.text), /^CRITICAL\*/m);
  assert.match(String(msg.html), /critical \(stale\)/);
});
