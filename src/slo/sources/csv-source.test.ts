import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { HygieneFinding } from '../model.js';
import { readCsvDataset } from './csv-source.js';

const fx = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const T = (iso: string): number => Date.parse(iso);
const MAR1 = T('2025-03-01T00:00:00Z');
const window = { from: MAR1, to: MAR1 + 86_400_000 };

const spec = (files: Record<string, string>, columns = {}) => ({ kind: 'csv' as const, name: 'records', files, columns });
const f = (table: HygieneFinding['table'], kind: HygieneFinding['kind'], rows: number, message: string, examples: string[]): HygieneFinding => ({ table, kind, rows, message, examples });

describe('readCsvDataset: fixtures with deliberate hygiene problems', () => {
  it('deploys', async () => {
    const ds = await readCsvDataset(spec({ deploys: fx('deploys.csv') }), window);
    assert.deepEqual(ds.deploys, [
      { id: 'D1', team: 'core', area: 'api', feature: 'login', status: 'success', commitAt: T('2025-03-01T08:00:00Z'), deployAt: T('2025-03-01T09:00:00Z') },
      { id: 'D2', team: 'core', area: 'api', feature: 'login', status: 'failure', commitAt: T('2025-03-01T09:30:00Z'), deployAt: T('2025-03-01T10:00:00Z') },
      { id: 'D3', team: 'core', area: 'api', feature: 'login', status: 'failure', commitAt: T('2025-03-01T10:00:00Z'), deployAt: T('2025-03-01T10:00:00Z') },
      { id: 'D4', team: 'core', area: 'web', feature: 'cart, v2', status: 'success', commitAt: T('2025-03-01T08:00:00Z'), deployAt: T('2025-03-01T12:00:00Z') },
      { id: 'D11', team: 'core', area: 'api', feature: 'say "hi"', status: 'success', commitAt: T('2025-03-01T16:00:00Z'), deployAt: T('2025-03-01T17:00:00Z') },
    ]);
    assert.deepEqual(ds.hygiene, [
      f('deploys', 'column_count_mismatch', 2, "rows with more or fewer fields than the header's 7 (row skipped)", ['deploys.csv:11', 'deploys.csv:12']),
      f('deploys', 'unparsable_value', 1, 'unparsable commit_at (row skipped)', ['deploys.csv:7']),
      f('deploys', 'unknown_value', 1, 'status is neither success nor failure (row skipped): "rolled_back"', ['deploys.csv:6']),
      f('deploys', 'negative_duration', 1, 'deploy_at before commit_at (row skipped)', ['deploys.csv:8']),
      f('deploys', 'duplicate_row', 1, 'id seen before (counted once)', ['deploys.csv:9']),
      f('deploys', 'mixed_case_value', 2, 'status spelled in several cases (read as lower case): "Failure", "SUCCESS", "failure", "success"', ['deploys.csv:3', 'deploys.csv:5']),
      f('deploys', 'out_of_window', 1, 'deploy_at outside the report window (ignored)', ['deploys.csv:10']),
    ]);
    assert.equal(ds.tickets, undefined);
    assert.equal(ds.requests, undefined);
  });

  it('outages', async () => {
    const ds = await readCsvDataset(spec({ outages: fx('outages.csv') }), window);
    assert.deepEqual(ds.outages, [
      { down: T('2025-02-28T23:30:00Z'), up: T('2025-03-01T00:30:00Z'), code: '404' },
      { down: T('2025-03-01T10:00:00Z'), up: T('2025-03-01T10:30:00Z'), code: '503' },
      { down: T('2025-03-01T10:20:00Z'), up: T('2025-03-01T10:40:00Z'), code: 'TIMEOUT' },
      { down: T('2025-03-01T10:40:00Z'), up: T('2025-03-01T10:50:00Z'), code: '503' },
      { down: T('2025-03-01T20:00:00Z'), up: null, code: '502' },
    ]);
    assert.deepEqual(ds.hygiene, [
      f('outages', 'unparsable_value', 1, 'unparsable down (row skipped)', ['outages.csv:7']),
      f('outages', 'negative_duration', 1, 'up before down (row skipped)', ['outages.csv:5']),
      f('outages', 'duplicate_row', 1, 'identical outage seen before (counted once)', ['outages.csv:4']),
      f('outages', 'out_of_window', 1, 'down..up outside the report window (ignored)', ['outages.csv:8']),
      f('outages', 'open_outage', 1, "up empty: still down (counted to the window's end)", ['outages.csv:6']),
      // 10:40 starts exactly where 10:20-10:40 ends: touching, not overlapping.
      f('outages', 'overlapping_outages', 1, 'outage overlaps an earlier one (the union is counted)', ['outages.csv:3']),
    ]);
  });

  it('tickets (BOM, CRLF, a mapped column, a quoted newline)', async () => {
    const ds = await readCsvDataset(spec({ tickets: fx('tickets.csv') }, { tickets: { assignment_group: 'group' } }), window);
    const t = (number: string, caller: string, category: string, subcategory: string, symptom: string, assignmentGroup: string, state: string, openedAt: string, closedAt: string | null) => ({
      number, caller, category, subcategory, symptom, assignmentGroup, state, openedAt: T(openedAt), closedAt: closedAt === null ? null : T(closedAt),
    });
    assert.deepEqual(ds.tickets, [
      t('INC007', 'gus', 'app', 'ui', 'err', 'ops', 'closed', '2025-02-28T10:00:00Z', '2025-03-01T01:00:00Z'),
      t('INC001', 'ana', 'net', 'dns', 'slow, then down', 'ops', 'closed', '2025-03-01T08:00:00Z', '2025-03-01T10:00:00Z'),
      t('INC002', 'bob', 'db', 'pg', 'down', 'dba', 'closed', '2025-03-01T09:00:00Z', '2025-03-01T09:30:00Z'),
      t('INC003', 'cy', 'db', 'pg', 'down', 'dba', 'new', '2025-03-01T11:00:00Z', null),
    ]);
    assert.deepEqual(ds.hygiene, [
      f('tickets', 'column_count_mismatch', 1, "rows with more or fewer fields than the header's 9 (row skipped)", ['tickets.csv:11']),
      f('tickets', 'unparsable_value', 1, 'unparsable opened_at (row skipped)', ['tickets.csv:8']),
      f('tickets', 'negative_duration', 1, 'closed_at before opened_at (row skipped)', ['tickets.csv:6']),
      f('tickets', 'duplicate_row', 1, 'number seen before (counted once)', ['tickets.csv:5']),
      f('tickets', 'mixed_case_value', 1, 'state spelled in several cases (read as lower case): "Closed", "closed"', ['tickets.csv:2']),
      f('tickets', 'out_of_window', 1, 'opened_at..closed_at outside the report window (ignored)', ['tickets.csv:9']),
      f('tickets', 'open_ticket', 1, 'closed_at empty: still open (counted as open, not resolved)', ['tickets.csv:4']),
    ]);
  });

  it('tickets in another time zone', async () => {
    const ds = await readCsvDataset({ ...spec({ tickets: fx('tickets.csv') }, { tickets: { assignment_group: 'group' } }), timeZone: 'Europe/Madrid' }, { from: -Infinity, to: Infinity });
    // Madrid is UTC+1 on these dates; with an open window INC006 is kept too.
    assert.deepEqual(ds.tickets?.map((x) => [x.number, x.openedAt]), [
      ['INC006', T('2025-02-20T09:00:00Z')], ['INC007', T('2025-02-28T09:00:00Z')], ['INC001', T('2025-03-01T07:00:00Z')], ['INC002', T('2025-03-01T08:00:00Z')], ['INC003', T('2025-03-01T10:00:00Z')],
    ]);
  });

  it('requests are folded into minute buckets', async () => {
    for (const chunkBytes of [undefined, 7, 64]) {
      const ds = await readCsvDataset(spec({ requests: fx('requests.csv') }), window, { chunkBytes });
      const r = ds.requests!;
      assert.equal(r.startMs, MAR1);
      assert.equal(r.bucketMs, 60_000);
      assert.equal(r.total.length, 1440);
      const nonZero = (a: Float64Array): Array<[number, number]> => [...a].flatMap((v, i) => (v ? [[i, v] as [number, number]] : []));
      assert.deepEqual(nonZero(r.total), [[0, 2], [1, 3], [60, 1], [1439, 1]]);
      assert.deepEqual(nonZero(r.serverErrors), [[0, 1], [1, 1], [60, 1]]);
      assert.deepEqual(nonZero(r.clientErrors), [[1, 1], [1439, 1]]);
      assert.equal(r.rows, 7);
      assert.deepEqual([...r.badByCodeMonth].map(([m, c]) => [m, [...c]]), [['2025-03', [['404', 1], ['429', 1], ['500', 1], ['503', 2]]]]);
      assert.deepEqual(ds.hygiene, [
        f('requests', 'column_count_mismatch', 1, "rows with more or fewer fields than the header's 2 (row skipped)", ['requests.csv:11']),
        f('requests', 'unparsable_value', 1, 'status is not an HTTP status code 100-599 (row skipped)', ['requests.csv:10']),
        f('requests', 'unparsable_value', 1, 'unparsable time (row skipped)', ['requests.csv:9']),
        f('requests', 'out_of_window', 3, 'time outside the report window (ignored)', ['requests.csv:7', 'requests.csv:8', 'requests.csv:14']),
      ]);
    }
  });

  it('a missing column makes the table unusable', async () => {
    const ds = await readCsvDataset(spec({ deploys: fx('deploys-missing-column.csv'), tickets: fx('empty.csv') }), window);
    assert.equal(ds.deploys, undefined);
    assert.equal(ds.tickets, undefined);
    assert.deepEqual(ds.hygiene.map((h) => [h.table, h.kind, h.message]), [
      ['deploys', 'missing_column', 'column "deploy_at" not found in the header of deploys-missing-column.csv; the deploys table is not used'],
      ...['assignment_group', 'caller', 'category', 'closed_at', 'number', 'opened_at', 'state', 'subcategory', 'symptom'].map((c) => ['tickets', 'missing_column', `column "${c}" not found in empty.csv (no header row); the tickets table is not used`]),
    ]);
  });

  it('a column map renames the expected header', async () => {
    const ds = await readCsvDataset(spec({ deploys: fx('deploys-missing-column.csv') }, { deploys: { deploy_at: 'deployed' } }), window);
    assert.equal(ds.deploys?.length, 1);
    assert.deepEqual(ds.hygiene, []);
  });

  it('an unreadable file is a configuration error', async () => {
    await assert.rejects(readCsvDataset(spec({ deploys: fx('nope.csv') }), window), (e: Error & { code?: string }) => e.code === 'VIGIA_ERR_CONFIG' && /deploys file .*nope\.csv: ENOENT/.test(e.message));
  });

  it('requests need a finite window', async () => {
    await assert.rejects(readCsvDataset(spec({ requests: fx('requests.csv') }), { from: 0, to: Infinity }), /finite report window/);
  });

  it('reports progress per file', async () => {
    const lines: string[] = [];
    await readCsvDataset(spec({ outages: fx('outages.csv') }), window, { onProgress: (m) => lines.push(m) });
    assert.deepEqual(lines, ['outages.csv: 100% of 401 B']);
  });
});
