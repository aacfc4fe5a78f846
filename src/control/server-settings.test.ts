import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isVigiaError } from '../core/errors.js';
import { tempDir } from '../../test/support/tmp.js';
import { loadServerSettings, parseServerSettings } from './server-settings.js';

test('no settings: default policy, default schedules, no SMTP', () => {
  const s = parseServerSettings(undefined);
  assert.equal(s.smtp, null);
  assert.equal(s.capacitySchedule.cron, '0 7 * * *');
  assert.equal(s.timezone, 'UTC');
  assert.equal(s.policy.thresholds.data.criticalPct, 90);
  assert.equal(s.policy.staleAfterIntervals, 3);
});

test('settings errors name the field path', () => {
  const cases: [unknown, RegExp][] = [
    [{ reports: { thresholds: { data: { warningPct: 95, criticalPct: 90 } } } }, /reports\.thresholds\.data/],
    [{ reports: { recipients: ['not-an-address'] } }, /reports\.recipients\.0/],
    [{ schedule: { capacity: { cron: 'every morning' } } }, /schedule\.capacity\.cron/],
    [{ smtp: { url: 'smtp://mail.example:587' } }, /reports\.recipients: smtp is configured but nobody/],
    [{ smpt: {} }, /smpt|Unrecognized key/],
  ];
  for (const [raw, re] of cases) assert.throws(() => parseServerSettings(raw), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test(e.message), JSON.stringify(raw));
});

test('a YAML settings file with recipients, schedule and SMTP', async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'server.yaml');
    writeFileSync(
      file,
      `reports:\n  recipients: [dba@example.com]\n  from: vigia@example.com\n  thresholds:\n    binlog: { warningPct: 85, criticalPct: 95 }\nschedule:\n  timezone: Europe/Madrid\n  performance: { enabled: false }\nsmtp:\n  url: smtp://127.0.0.1:2525\n  starttls: required\n`,
    );
    const s = await loadServerSettings(file);
    assert.deepEqual(s.policy.recipients, ['dba@example.com']);
    assert.equal(s.policy.thresholds.binlog.criticalPct, 95);
    assert.equal(s.performanceSchedule.enabled, false);
    assert.equal(s.timezone, 'Europe/Madrid');
    assert.ok(s.smtp);
    writeFileSync(file, 'reports: [unclosed\n');
    await assert.rejects(loadServerSettings(file), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /not valid YAML/.test(e.message));
    await assert.rejects(loadServerSettings(join(t.dir, 'missing.yaml')), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /ENOENT/.test(e.message));
    writeFileSync(file, `reports:\n  recipients: [dba@example.com]\nsmtp:\n  url: smtp://127.0.0.1:2525\n  auth: { user: vigia, passFile: ${join(t.dir, 'no-such.pass')} }\n`);
    await assert.rejects(loadServerSettings(file), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /smtp\.auth\.passFile: .*ENOENT/.test(e.message), 'a missing password file fails at start, not at send time');
  } finally {
    t.remove();
  }
});

test('trustedProxies: addresses and CIDR blocks in the settings file; a bad one names its index', () => {
  assert.deepEqual(parseServerSettings(undefined).trustedProxies, []);
  assert.deepEqual(parseServerSettings({ trustedProxies: ['10.0.1.5', '10.0.2.0/24'] }).trustedProxies, ['10.0.1.5', '10.0.2.0/24']);
  assert.throws(() => parseServerSettings({ trustedProxies: ['10.0.1.5', 'lb.example'] }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /trustedProxies\.1: "lb\.example" is not an address or CIDR block/.test(e.message));
});
