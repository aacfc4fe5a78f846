import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, hostFreshness, renderHostsTable, type HostListRow } from './hosts-table.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const policy = { staleAfterIntervals: 3, defaultIntervalSeconds: 60 };
const row = (over: Partial<HostListRow>): HostListRow => ({ host: 'h', tags: {}, reportedTags: {}, lastSeen: null, intervalSeconds: null, lastError: null, ...over });
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

test('formatAge and hostFreshness, table', () => {
  const ages: [string | null, string][] = [[null, 'never'], [ago(0), 'now'], [ago(-30), 'now'], [ago(45), '45s ago'], [ago(600), '10m ago'], [ago(3 * 3600), '3h ago'], [ago(5 * 86_400), '5d ago']];
  for (const [since, want] of ages) assert.equal(formatAge(since, NOW), want, String(since));
  assert.equal(hostFreshness(row({}), NOW, policy), 'never');
  assert.equal(hostFreshness(row({ lastSeen: ago(170), intervalSeconds: 60 }), NOW, policy), 'ok');
  assert.equal(hostFreshness(row({ lastSeen: ago(190), intervalSeconds: 60 }), NOW, policy), 'stale');
  assert.equal(hostFreshness(row({ lastSeen: ago(190) }), NOW, policy), 'stale', 'no announced interval: the default');
  assert.equal(hostFreshness(row({ lastSeen: new Date(NOW - 600_000), intervalSeconds: 300 }), NOW, policy), 'ok');
});

test('renderHostsTable: sorted rows, sanitised host text, the last refusal shown, an empty fleet says how to enrol', () => {
  const out = renderHostsTable([
    row({ host: 'web-2', tags: { role: 'web' }, reportedTags: { os: 'debian12' }, lastSeen: ago(20), intervalSeconds: 60 }),
    row({ host: 'db-1', tags: { role: 'mysql', dc: 'mad1' }, reportedTags: { evil: '\u001b[2J' }, lastSeen: ago(7200), intervalSeconds: 60, lastError: 'clock skew 400 s' }),
  ], NOW, policy);
  assert.equal(out, [
    'HOST   TAGS                REPORTED TAGS  LAST SEEN  STATUS',
    'db-1   dc=mad1,role=mysql  evil=\\x1b[2J   2h ago     stale (last refused: clock skew 400 s)',
    'web-2  role=web            os=debian12    20s ago    ok',
    '',
  ].join('\n'));
  assert.match(renderHostsTable([], NOW, policy), /^no hosts enrolled/);
});
