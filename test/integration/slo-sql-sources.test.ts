/**
 * The SQL data source against a real PostgreSQL and a real MariaDB: the fixture CSVs of
 * src/slo/sources/fixtures (less the rows with a wrong field count, which a table cannot hold) are
 * loaded into both, and what `readSqlDataset` gives back must equal what `readCsvDataset` gives for
 * the same rows: records, request series and findings (apart from the row references, which are
 * "file:line" for CSV and keys for SQL).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import type { Dataset } from '../../src/slo/model.js';
import { readCsvDataset } from '../../src/slo/sources/csv-source.js';
import { parseCsv } from '../../src/slo/sources/csv-reader.js';
import { readSqlDataset } from '../../src/slo/sources/sql-source.js';
import { createTimestampParser } from '../../src/slo/sources/timestamps.js';
import { startMariadb, type TestMariadb } from '../support/mariadb.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';

const fixtures = fileURLToPath(new URL('../../src/slo/sources/fixtures/', import.meta.url));
const MAR1 = Date.parse('2025-03-01T00:00:00Z');
const window = { from: MAR1, to: MAR1 + 86_400_000 };
const columns = { tickets: { assignment_group: 'group' } };
const TABLES = ['deploys', 'outages', 'tickets', 'requests'] as const;

/** Fixture rows with the header's field count (header first). */
function cleanRows(table: string): string[][] {
  const rows = parseCsv(readFileSync(join(fixtures, `${table}.csv`))).map((r) => r.fields);
  const width = rows[0]!.length;
  return rows.filter((r) => r.length === width);
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Request rows as SQL values: time parsed (NULL when it does not parse), status as text. */
function requestValues(rows: string[][]): Array<[string | null, string | null]> {
  const p = createTimestampParser();
  return rows.slice(1).map(([time, status]) => {
    const ms = p.parse(time!);
    return [ms === null ? null : new Date(ms).toISOString(), status === '' ? null : status!];
  });
}

const withoutExamples = (ds: Dataset): unknown => ({ ...ds, hygiene: ds.hygiene.map(({ examples: _e, ...h }) => h) });

let pg: TestPostgres | undefined;
let maria: TestMariadb | undefined;
let pgUrl = '';
let myUrl = '';
const tmp = tempDir('vigia-slo-sql-');
const csvFiles: Record<string, string> = {};

before(async () => {
  const data = Object.fromEntries(TABLES.map((t) => [t, cleanRows(t)])) as Record<(typeof TABLES)[number], string[][]>;
  for (const t of TABLES) {
    csvFiles[t] = join(tmp.dir, `${t}.csv`);
    writeFileSync(csvFiles[t], data[t].map((r) => r.map(csvField).join(',')).join('\n') + '\n');
  }
  const nullIfEmpty = (r: string[]): Array<string | null> => r.map((v) => (v === '' ? null : v));

  [pg, maria] = await Promise.all([startPostgres(), startMariadb({ logBin: false })]);

  // PostgreSQL: record tables as text (so the same hygiene problems survive), requests typed.
  pgUrl = await pg.createDatabase('slo');
  const s = postgres(pgUrl, { max: 1, onnotice: () => {} });
  try {
    await s.unsafe(`CREATE TABLE deploys (id text, team text, area text, feature text, status text, commit_at text, deploy_at text);
      CREATE TABLE outages (down text, up text, code text);
      CREATE TABLE tickets (number text, caller text, category text, subcategory text, symptom text, "group" text, state text, opened_at text, closed_at text);
      CREATE TABLE requests (time timestamptz, status text);`).simple();
    for (const t of ['deploys', 'outages', 'tickets'] as const) {
      const [header, ...rows] = data[t];
      const cols = header!.map((h) => `"${h}"`).join(', ');
      for (const r of rows) await s.unsafe(`INSERT INTO ${t} (${cols}) VALUES (${r.map((_, i) => `$${i + 1}`).join(', ')})`, nullIfEmpty(r));
    }
    for (const v of requestValues(data.requests)) await s.unsafe('INSERT INTO requests (time, status) VALUES ($1::timestamptz, $2)', v);
    // The usual schema (timestamptz + smallint) takes the native path: same rows, bad statuses as NULL.
    await s.unsafe('CREATE TABLE requests_typed (time timestamptz, status smallint)');
    for (const [time, status] of requestValues(data.requests)) {
      await s.unsafe('INSERT INTO requests_typed (time, status) VALUES ($1::timestamptz, $2)', [time, status !== null && /^\s*\d{1,4}\s*$/.test(status) ? Number(status) : null]);
    }
    // A password-protected user for the wrong-password test (the test server trusts everyone else).
    await s.unsafe("CREATE ROLE slo_pw LOGIN PASSWORD 'right-pw-4711'");
  } finally {
    await s.end({ timeout: 1 });
  }
  const hba = join(pg.dir, 'data', 'pg_hba.conf');
  writeFileSync(hba, `host all slo_pw 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  await pg.sql('SELECT pg_reload_conf()');

  // MariaDB: the same, with a password user reached over TCP.
  const root = await maria.connect();
  try {
    await root.query('CREATE DATABASE slo');
    await root.query("CREATE USER 'slo'@'%' IDENTIFIED BY 'slo-pw-0815'");
    await root.query("GRANT ALL ON slo.* TO 'slo'@'%'");
    await root.query('USE slo');
    await root.query('CREATE TABLE deploys (id TEXT, team TEXT, area TEXT, feature TEXT, status TEXT, commit_at TEXT, deploy_at TEXT)');
    await root.query('CREATE TABLE outages (down TEXT, up TEXT, code TEXT)');
    await root.query('CREATE TABLE tickets (number TEXT, caller TEXT, category TEXT, subcategory TEXT, symptom TEXT, `group` TEXT, state TEXT, opened_at TEXT, closed_at TEXT)');
    await root.query('CREATE TABLE requests (`time` DATETIME(3), status VARCHAR(16))');
    for (const t of ['deploys', 'outages', 'tickets'] as const) {
      const [header, ...rows] = data[t];
      const cols = header!.map((h) => `\`${h}\``).join(', ');
      for (const r of rows) await root.query(`INSERT INTO ${t} (${cols}) VALUES (${r.map(() => '?').join(', ')})`, nullIfEmpty(r));
    }
    for (const [time, status] of requestValues(data.requests)) {
      await root.query('INSERT INTO requests (`time`, status) VALUES (?, ?)', [time === null ? null : time.replace('T', ' ').slice(0, 23), status]);
    }
  } finally {
    await root.end();
  }
  myUrl = `mysql://slo:slo-pw-0815@127.0.0.1:${maria.port}/slo`;
});

after(async () => {
  await Promise.all([pg?.stop(), maria?.stop()]);
  tmp.remove();
});

describe('readSqlDataset against PostgreSQL and MariaDB', () => {
  const tables = { deploys: 'deploys', outages: 'outages', tickets: 'tickets', requests: 'requests' };

  for (const kind of ['postgres', 'mysql'] as const) {
    it(`${kind}: gives what the CSV source gives for the same rows`, async () => {
      const fromCsv = await readCsvDataset({ kind: 'csv', name: 'records', files: csvFiles, columns }, window);
      const fromSql = await readSqlDataset({ kind, name: 'records', url: kind === 'postgres' ? pgUrl : myUrl, tables, columns }, window);
      // The data is not trivially empty: every table and several kinds of finding are there.
      assert.equal(fromCsv.deploys?.length, 5);
      assert.equal(fromCsv.outages?.length, 5);
      assert.equal(fromCsv.tickets?.length, 4);
      assert.equal(fromCsv.requests?.rows, 7);
      assert.equal(fromCsv.hygiene.length, 21); // 6 deploys + 6 outages + 6 tickets + 3 requests
      assert.deepEqual(withoutExamples(fromSql), withoutExamples(fromCsv));
      // SQL rows are named by key.
      assert.deepEqual(fromSql.hygiene.find((h) => h.table === 'tickets' && h.kind === 'duplicate_row')?.examples, ['INC002']);
      assert.deepEqual(fromSql.hygiene.find((h) => h.table === 'deploys' && h.kind === 'duplicate_row')?.examples, ['D1']);
    });

    if (kind === 'postgres') {
      it('postgres: a timestamptz + integer requests table (native date_bin path) folds to the same series', async () => {
        const typed = await readSqlDataset({ kind, name: 'records', url: pgUrl, tables: { requests: 'requests_typed' }, columns }, window);
        const generic = await readSqlDataset({ kind, name: 'records', url: pgUrl, tables: { requests: 'requests' }, columns }, window);
        assert.ok(typed.requests && typed.requests.rows > 0);
        assert.deepEqual(typed.requests, generic.requests);
        assert.deepEqual(withoutExamples(typed), withoutExamples(generic));
        // A window that does not start on a minute: buckets are aligned on its start, as the CSV reader does.
        const shifted = { from: window.from + 30_000, to: window.to };
        const fromCsv = await readCsvDataset({ kind: 'csv', name: 'records', files: { requests: csvFiles.requests! }, columns }, shifted);
        const fromTyped = await readSqlDataset({ kind, name: 'records', url: pgUrl, tables: { requests: 'requests_typed' }, columns }, shifted);
        assert.deepEqual(fromTyped.requests, fromCsv.requests);
      });
    }

    it(`${kind}: a missing column or table is reported and the table left out`, async () => {
      const ds = await readSqlDataset({
        kind, name: 'records', url: kind === 'postgres' ? pgUrl : myUrl,
        tables: { deploys: 'deploys', outages: 'no_such_table', tickets: 'tickets' }, columns: { deploys: { deploy_at: 'deployed_at' }, tickets: columns.tickets },
      }, window);
      assert.equal(ds.deploys, undefined);
      assert.equal(ds.outages, undefined);
      assert.equal(ds.tickets?.length, 4);
      assert.deepEqual(ds.hygiene.filter((h) => h.kind === 'missing_column').map((h) => [h.table, h.message]), [
        ['deploys', 'column "deployed_at" not found in table deploys; the deploys table is not used'],
        ...['code', 'down', 'up'].map((c) => ['outages', `column "${c}" not found in table no_such_table (the table does not exist); the outages table is not used`]),
      ]);
    });

    it(`${kind}: a wrong password is a clear error without the password`, async () => {
      const url = kind === 'postgres' ? `postgres://slo_pw:wrong-pw-1234@127.0.0.1:${pg!.port}/slo` : `mysql://slo:wrong-pw-1234@127.0.0.1:${maria!.port}/slo`;
      await assert.rejects(readSqlDataset({ kind, name: 'records', url, tables, columns }, window, { connectTimeoutMs: 5000 }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SLO_ERR_SOURCE_UNAVAILABLE');
        assert.match(err.message, /cannot connect: .*(password authentication failed|Access denied)/);
        assert.match(err.message, /:\*\*\*@127\.0\.0\.1/);
        assert.doesNotMatch(err.message + String(err.stack) + JSON.stringify(err), /wrong-pw-1234/);
        return true;
      });
    });

    it(`${kind}: table and column names are validated, never spliced in`, async () => {
      const url = kind === 'postgres' ? pgUrl : myUrl;
      await assert.rejects(readSqlDataset({ kind, name: 'records', url, tables: { deploys: 'deploys; DROP TABLE tickets' }, columns }, window), /not a valid SQL name/);
      await assert.rejects(readSqlDataset({ kind, name: 'records', url, tables: { deploys: 'deploys' }, columns: { deploys: { id: 'id" OR 1=1 --' } } }, window), /not a valid SQL name/);
      const ds = await readSqlDataset({ kind, name: 'records', url, tables: { tickets: 'tickets' }, columns }, window);
      assert.equal(ds.tickets?.length, 4);
    });
  }
});
