/**
 * The CSV data source: one file per table (header row required, RFC 4180), read into a Dataset
 * with a hygiene report. Record tables go through the shared normalizers; the request log is
 * streamed and folded into per-minute buckets straight from the read buffer (no string, array or
 * object per row), which is what keeps 10 M rows within seconds and a few tens of MB.
 *
 * File paths are used as given (the spec parser resolves them against the YAML file's directory);
 * findings name rows by file name and line ("tickets.csv:17").
 */
import { basename } from 'node:path';
import { VigiaError } from '../../core/errors.js';
import type { DataSourceSpec, Dataset, DeployRow, OutageRow, RequestSeries, TableName, TicketRow } from '../model.js';
import { mapHeader, scanCsvFile, type CsvRow } from './csv-reader.js';
import {
  HygieneLog, RequestFolder, deployNormalizer, outageNormalizer, parseStatus, parseStatusBytes, reportMissingColumns, tableColumns, ticketNormalizer,
  type ColumnRef, type ReportWindow, type TableNormalizer,
} from './normalize.js';
import { createTimestampParser, type TimestampParser } from './timestamps.js';

/** Options of `readCsvDataset`. */
export interface CsvReadOptions {
  /** Progress lines ("requests.csv: 40% of 263 MB"), about every 10% of each file. */
  readonly onProgress?: (msg: string) => void;
  /** Bytes per read (default 4 MiB). */
  readonly chunkBytes?: number;
}

type CsvSpec = Extract<DataSourceSpec, { kind: 'csv' }>;

const sizeText = (n: number): string => (n < 1e3 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(0)} MB`);

/** Thrown inside a scan to stop reading a table whose header lacks a column. */
class Unusable extends Error {}

async function scanTable(spec: CsvSpec, table: TableName, path: string, opts: CsvReadOptions, onHeader: (header: string[]) => boolean, onRow: (row: CsvRow) => void): Promise<boolean> {
  let header = true;
  let lastTenth = -1;
  const file = basename(path);
  const progress = opts.onProgress
    ? (bytesRead: number, totalBytes: number): void => {
      const tenth = totalBytes > 0 ? Math.floor((bytesRead / totalBytes) * 10) : 10;
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      opts.onProgress!(`${file}: ${tenth * 10}% of ${sizeText(totalBytes)}`);
    }
    : undefined;
  try {
    await scanCsvFile(path, (row) => {
      if (header) {
        header = false;
        if (!onHeader(row.fields())) throw new Unusable();
        return;
      }
      onRow(row);
    }, { chunkBytes: opts.chunkBytes, onProgress: progress });
  } catch (err) {
    if (err instanceof Unusable) return false;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new VigiaError('VIGIA_ERR_CONFIG', `CSV data source ${JSON.stringify(spec.name)}: ${table} file ${path}: ${code}`, { cause: err });
    throw err;
  }
  if (header) return onHeader([]); // empty file: every column is missing
  return true;
}

function headerCheck(log: HygieneLog, table: TableName, file: string, columns: readonly ColumnRef[], set: (indices: number[], width: number) => void): (header: string[]) => boolean {
  return (header) => {
    const { indices, missing } = mapHeader(header, columns);
    if (missing.length > 0) {
      reportMissingColumns(log, table, header.length === 0 ? `${file} (no header row)` : `the header of ${file}`, missing);
      return false;
    }
    set(indices, header.length);
    return true;
  };
}

function mismatch(log: HygieneLog, table: TableName, width: number, ref: string): void {
  log.add(table, 'column_count_mismatch', '', `rows with more or fewer fields than the header's ${width} (row skipped)`, ref);
}

async function readRecords<T>(spec: CsvSpec, table: 'deploys' | 'outages' | 'tickets', path: string, log: HygieneLog, opts: CsvReadOptions, make: (cols: ColumnRef[]) => TableNormalizer<T>): Promise<T[] | undefined> {
  const file = basename(path);
  const columns = tableColumns(table, spec.columns);
  const normalizer = make(columns);
  let indices: number[] = [];
  let width = 0;
  const values: string[] = new Array<string>(columns.length);
  const ok = await scanTable(spec, table, path, opts, headerCheck(log, table, file, columns, (i, w) => {
    indices = i;
    width = w;
  }), (row) => {
    const ref = `${file}:${row.line}`;
    if (row.count !== width) return mismatch(log, table, width, ref);
    for (let k = 0; k < indices.length; k++) values[k] = row.text(indices[k]!);
    normalizer.add(values, ref);
  });
  return ok ? normalizer.finish() : undefined;
}

async function readRequests(spec: CsvSpec, path: string, window: ReportWindow, log: HygieneLog, parser: TimestampParser, opts: CsvReadOptions): Promise<RequestSeries | undefined> {
  const file = basename(path);
  const columns = tableColumns('requests', spec.columns);
  let folder: RequestFolder;
  try {
    folder = new RequestFolder(window, log, columns, (line) => `${file}:${line}`);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `CSV data source ${JSON.stringify(spec.name)}: ${(err as Error).message}`);
  }
  let ti = -1;
  let si = -1;
  let width = 0;
  const ok = await scanTable(spec, 'requests', path, opts, headerCheck(log, 'requests', file, columns, (i, w) => {
    ti = i[0]!;
    si = i[1]!;
    width = w;
  }), (row) => {
    // Hot path: bytes straight from the read buffer.
    if (row.count !== width) return mismatch(log, 'requests', width, `${file}:${row.line}`);
    const b = row.buf;
    const ms = row.isRaw(ti) ? parser.parse(row.text(ti)) : parser.parseBytes(b, row.start(ti), row.end(ti));
    if (ms === null) return folder.badTime(1, row.line);
    const status = row.isRaw(si) ? parseStatus(row.text(si)) : parseStatusBytes(b, row.start(si), row.end(si));
    if (status < 0) return folder.badStatus(1, row.line);
    folder.add(ms, status, row.line);
  });
  return ok ? folder.finish() : undefined;
}

/**
 * Read the tables `spec.files` names. A table whose header lacks a mapped column is absent from the
 * Dataset (with a `missing_column` finding); an unreadable file is a VIGIA_ERR_CONFIG error.
 * `window` bounds the records (±Infinity leaves a side open) and is the requests' bucket range
 * (finite, required when a requests file is given).
 */
export async function readCsvDataset(spec: CsvSpec, window: ReportWindow, opts: CsvReadOptions = {}): Promise<Dataset> {
  const log = new HygieneLog();
  const tz = spec.timeZone ?? 'UTC';
  const parser = (): TimestampParser => createTimestampParser(tz);
  const out: { deploys?: DeployRow[]; outages?: OutageRow[]; tickets?: TicketRow[]; requests?: RequestSeries } = {};
  const f = spec.files;
  if (f.deploys !== undefined) out.deploys = await readRecords(spec, 'deploys', f.deploys, log, opts, (c) => deployNormalizer(log, c, window, parser()));
  if (f.outages !== undefined) out.outages = await readRecords(spec, 'outages', f.outages, log, opts, (c) => outageNormalizer(log, c, window, parser()));
  if (f.tickets !== undefined) out.tickets = await readRecords(spec, 'tickets', f.tickets, log, opts, (c) => ticketNormalizer(log, c, window, parser()));
  if (f.requests !== undefined) out.requests = await readRequests(spec, f.requests, window, log, parser(), opts);
  for (const k of Object.keys(out) as Array<keyof typeof out>) if (out[k] === undefined) delete out[k];
  return { ...out, hygiene: log.list() };
}
