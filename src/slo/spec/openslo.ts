/**
 * OpenSLO v1 (github.com/OpenSLO/OpenSLO) turned into Vigía's SLO model: documents of kind SLO,
 * SLI, DataSource, AlertPolicy and Service are parsed with strict schemas (an unknown field is an
 * error naming its path); AlertCondition and AlertNotificationTarget documents are accepted and
 * ignored with a warning, since Vigía does not evaluate them. The YAML conventions Vigía adds
 * (DataSource connection details, metricSource specs, the `vigia.dev/statistic` annotation) are
 * documented in docs/slo.md, "Specs" (and "SLIs" for the statistic).
 *
 * Pure: parsed documents in (the loader reads the files), a SpecSet out. Every problem is collected,
 * none is thrown; an SLO with an error is left out of `slos`. Environment variables come from the
 * `env` parameter, never from process.env.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { parseWallTime, parseWindowDuration } from '../budget/time-window.js';
import type { BudgetingMethod } from '../budget/budget.js';
import type { WindowDuration } from '../budget/time-window.js';
import type { StatisticName } from '../sli/stats.js';
import type {
  ColumnMaps,
  DataSourceSpec,
  ObjectiveSpec,
  SliSpec,
  SloDefinition,
  SpecProblem,
  SpecSet,
  TableName,
  ThresholdEvent,
  WindowSpec,
} from '../model.js';
import { parseDuration } from './duration.js';

/** One parsed YAML document and where it came from. */
export interface SpecDocument {
  /** "slos/a.yaml#2" (file and 1-based document index): the prefix of every problem's `where`. */
  readonly source: string;
  /** Directory that relative CSV file paths are resolved against (the YAML file's directory). */
  readonly baseDir: string;
  /** The document as plain data (YAML toJS()). */
  readonly doc: unknown;
}

/** Environment variables available to `urlEnv` (the edge passes a frozen copy of process.env). */
export type SpecEnv = Readonly<Record<string, string | undefined>>;

/** The annotation that judges every objective of an SLO by a statistic of the values. */
export const STATISTIC_ANNOTATION = 'vigia.dev/statistic';

const STATISTICS: readonly StatisticName[] = ['mean', 'median', 'p90', 'p95', 'p99', 'min', 'max'];
const EVENTS: readonly ThresholdEvent[] = ['deploy_gap_hours', 'failures_per_deploy', 'ticket_resolution_hours', 'lead_time_hours'];
const RATIO_SLIS = ['requests', 'availability'] as const;
const BUDGETING: readonly BudgetingMethod[] = ['Occurrences', 'Timeslices', 'RatioTimeslices'];
const OPS = ['lt', 'lte', 'gt', 'gte'] as const;
const TABLES: readonly TableName[] = ['deploys', 'outages', 'tickets', 'requests'];
const KINDS = ['SLO', 'SLI', 'DataSource', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget', 'Service'] as const;

/** Fields each table maps (conventions: default column = field name). */
const TABLE_FIELDS: Readonly<Record<TableName, readonly string[]>> = {
  deploys: ['id', 'team', 'area', 'feature', 'status', 'commit_at', 'deploy_at'],
  outages: ['down', 'up', 'code'],
  tickets: ['number', 'caller', 'category', 'subcategory', 'symptom', 'assignment_group', 'state', 'opened_at', 'closed_at'],
  requests: ['time', 'status'],
};

/** The table a records SLI reads. */
const TABLE_OF: Readonly<Record<ThresholdEvent | (typeof RATIO_SLIS)[number], TableName>> = {
  deploy_gap_hours: 'deploys',
  failures_per_deploy: 'deploys',
  lead_time_hours: 'deploys',
  ticket_resolution_hours: 'tickets',
  requests: 'requests',
  availability: 'outages',
};

/** DataSource types Vigía reads, as OpenSLO spells them; input is matched case-insensitively. */
export type SourceType = 'CSV' | 'PostgreSQL' | 'MySQL' | 'Prometheus';
const SOURCE_TYPES: readonly SourceType[] = ['CSV', 'PostgreSQL', 'MySQL', 'Prometheus'];
const RECORD_TYPES = 'CSV, PostgreSQL or MySQL';

function sourceType(text: string): SourceType | undefined {
  return SOURCE_TYPES.find((t) => t.toLowerCase() === text.trim().toLowerCase());
}

/** `p` percent as a ratio, without binary noise (99.9 -> 0.999, not 0.9990000000000001). */
export function percentToRatio(p: number): number {
  return Number((p / 100).toPrecision(12));
}

// ---------------------------------------------------------------------------------------------
// Schemas (OpenSLO v1 README field names)
// ---------------------------------------------------------------------------------------------

// RFC 1123 labels, widened the way the README encourages (up to 255 characters, `.` `/` `|` `\`),
// and capital letters, which the README's own examples use (OnCallDevopsMailNotification).
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._|/\\-]{0,253}[A-Za-z0-9])?$/;
const name = z.string().regex(NAME_RE, 'must be letters, digits and - . / | \\, starting and ending with a letter or digit (at most 255)');
const description = z.string().max(1050, 'at most 1050 characters');

const metadataSchema = z
  .object({
    name,
    displayName: z.string().optional(),
    labels: z
      .record(z.string(), z.union([z.string(), z.array(z.string())], { errorMap: () => ({ message: 'must be a string or a list of strings' }) }))
      .optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const metricSourceSchema = z
  .object({ metricSourceRef: z.string().optional(), type: z.string().optional(), spec: z.record(z.string(), z.unknown()) })
  .strict();
const metricSchema = z.object({ metricSource: metricSourceSchema }).strict();
type MetricSource = z.output<typeof metricSourceSchema>;

const sliSpecSchema = z
  .object({
    description: description.optional(),
    thresholdMetric: metricSchema.optional(),
    ratioMetric: z
      .object({
        counter: z.boolean().optional(),
        good: metricSchema.optional(),
        bad: metricSchema.optional(),
        total: metricSchema.optional(),
        rawType: z.enum(['success', 'failure'], { errorMap: () => ({ message: 'must be success or failure' }) }).optional(),
        raw: metricSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
type SliSpecDoc = z.output<typeof sliSpecSchema>;

const inlineSliSchema = z.object({ metadata: metadataSchema, spec: sliSpecSchema }).strict();

const objectiveSchema = z
  .object({
    displayName: z.string().optional(),
    op: z.string().optional(),
    value: z.number().finite().optional(),
    target: z.number().finite().optional(),
    targetPercent: z.number().finite().optional(),
    timeSliceTarget: z.number().finite().optional(),
    timeSliceWindow: z.union([z.number().finite(), z.string()], { errorMap: () => ({ message: 'must be a number of minutes or a duration such as 5m' }) }).optional(),
    indicator: inlineSliSchema.optional(),
    indicatorRef: z.string().optional(),
    compositeWeight: z.number().finite().positive().optional(),
  })
  .strict();

const timeWindowSchema = z
  .object({
    duration: z.string(),
    isRolling: z.boolean().optional(),
    calendar: z.object({ startTime: z.string().optional(), timeZone: z.string().optional() }).strict().optional(),
  })
  .strict();

const sloSpecSchema = z
  .object({
    description: description.optional(),
    service: z.string().min(1, 'is required'),
    indicator: inlineSliSchema.optional(),
    indicatorRef: z.string().optional(),
    timeWindow: z.array(timeWindowSchema).optional(),
    budgetingMethod: z.string(),
    objectives: z.array(objectiveSchema).min(1, 'at least one objective is required'),
    alertPolicies: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .strict();
type SloSpecDoc = z.output<typeof sloSpecSchema>;

const dataSourceSpecSchema = z
  .object({ description: description.optional(), type: z.string(), connectionDetails: z.record(z.string(), z.unknown()) })
  .strict();

const tableNames = z
  .object({ deploys: z.string().min(1).optional(), outages: z.string().min(1).optional(), tickets: z.string().min(1).optional(), requests: z.string().min(1).optional() })
  .strict();
const columnMap = z.record(z.string(), z.string().min(1)).optional();
const columnsSchema = z.object({ deploys: columnMap, outages: columnMap, tickets: columnMap, requests: columnMap }).strict();
const csvConnSchema = z.object({ files: tableNames, columns: columnsSchema.optional(), timeZone: z.string().optional() }).strict();
const sqlConnSchema = z.object({ url: z.string().optional(), urlEnv: z.string().optional(), tables: tableNames.optional(), columns: columnsSchema.optional() }).strict();
const promConnSchema = z.object({ url: z.string().optional(), urlEnv: z.string().optional(), step: z.string().optional() }).strict();

const alertPolicySpecSchema = z
  .object({
    description: description.optional(),
    alertWhenNoData: z.boolean().optional(),
    alertWhenResolved: z.boolean().optional(),
    alertWhenBreaching: z.boolean().optional(),
    conditions: z.array(z.record(z.string(), z.unknown())).min(1, 'one condition is required').max(1, 'OpenSLO allows one condition per alert policy'),
    notificationTargets: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .strict();

const envelopeSchema = z
  .object({ apiVersion: z.string(), kind: z.string(), metadata: z.unknown(), spec: z.unknown() })
  .strict();

const recordsThresholdSpec = z.object({ event: z.string() }).strict();
const recordsRatioSpec = z.object({ sli: z.string().optional(), countClientErrors: z.boolean().optional() }).strict();
const prometheusSpec = z.object({ query: z.string().min(1, 'a query is required') }).strict();

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

class Problems {
  readonly list: SpecProblem[] = [];
  errors = 0;
  error(where: string, message: string): void {
    this.list.push({ severity: 'error', where, message });
    this.errors++;
  }
  warn(where: string, message: string): void {
    this.list.push({ severity: 'warning', where, message });
  }
}

const at = (source: string, path: string): string => (path ? `${source}: ${path}` : source);
const sub = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/** Parse `value` with `schema`; every issue becomes an error at `source: path...`. */
function parseWith<T extends z.ZodTypeAny>(schema: T, value: unknown, source: string, path: string, p: Problems): z.output<T> | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    const where = i.path.reduce<string>((acc, k) => sub(acc, k), path);
    if (i.code === 'unrecognized_keys') for (const k of i.keys) p.error(at(source, sub(where, k)), `unknown field "${k}"`);
    else if (i.code === 'invalid_type' && i.received === 'undefined') p.error(at(source, where), 'is required');
    else if (i.code === 'invalid_type') p.error(at(source, where), `expected ${i.expected}, got ${i.received}`);
    else p.error(at(source, where), i.message);
  }
  return undefined;
}

const quoteList = (xs: readonly string[]): string => xs.join(', ');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// DataSources
// ---------------------------------------------------------------------------------------------

interface DataSourceEntry {
  readonly name: string;
  readonly type: SourceType | undefined;
  readonly source: string;
}

function checkTimeZone(tz: string, where: string, p: Problems): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    p.error(where, `unknown time zone "${tz}": use an IANA name such as UTC or Europe/Madrid`);
    return false;
  }
}

function checkColumns(columns: z.output<typeof columnsSchema> | undefined, source: string, path: string, p: Problems): ColumnMaps {
  const out: Partial<Record<TableName, Readonly<Record<string, string>>>> = {};
  for (const table of TABLES) {
    const map = columns?.[table];
    if (!map) continue;
    for (const field of Object.keys(map)) {
      if (!TABLE_FIELDS[table].includes(field)) p.error(at(source, `${path}.${table}.${field}`), `unknown ${table} field "${field}"; the fields are ${quoteList(TABLE_FIELDS[table])}`);
    }
    out[table] = { ...map };
  }
  return out;
}

function resolveUrl(conn: { url?: string | undefined; urlEnv?: string | undefined }, env: SpecEnv, source: string, path: string, p: Problems): string | undefined {
  if (conn.url !== undefined && conn.urlEnv !== undefined) {
    p.error(at(source, path), 'give url or urlEnv, not both');
    return undefined;
  }
  if (conn.url !== undefined) return conn.url;
  if (conn.urlEnv !== undefined) {
    const v = env[conn.urlEnv];
    if (v === undefined || v === '') {
      p.error(at(source, `${path}.urlEnv`), `environment variable ${conn.urlEnv} is not set`);
      return undefined;
    }
    return v;
  }
  p.error(at(source, path), 'url or urlEnv is required');
  return undefined;
}

/** Check a URL's scheme; the URL itself is never echoed (it may hold a password). */
function checkScheme(url: string, re: RegExp, expected: string, where: string, p: Problems): boolean {
  if (re.test(url)) return true;
  p.error(where, `must be a ${expected} URL`);
  return false;
}

function parseDataSource(name: string, specDoc: unknown, d: SpecDocument, env: SpecEnv, p: Problems): { entry: DataSourceEntry; spec?: DataSourceSpec } | undefined {
  const spec = parseWith(dataSourceSpecSchema, specDoc, d.source, 'spec', p);
  if (!spec) return isObject(specDoc) && typeof specDoc.type === 'string' ? { entry: { name, type: sourceType(specDoc.type), source: d.source } } : { entry: { name, type: undefined, source: d.source } };
  const type = sourceType(spec.type);
  const entry: DataSourceEntry = { name, type, source: d.source };
  if (!type) {
    p.error(at(d.source, 'spec.type'), `unknown DataSource type "${spec.type}"; Vigía reads ${quoteList(SOURCE_TYPES)}`);
    return { entry };
  }
  const before = p.errors;
  const cd = 'spec.connectionDetails';
  let out: DataSourceSpec | undefined;
  if (type === 'CSV') {
    const c = parseWith(csvConnSchema, spec.connectionDetails, d.source, cd, p);
    if (c) {
      const files: Partial<Record<TableName, string>> = {};
      for (const t of TABLES) {
        const f = c.files[t];
        if (f !== undefined) files[t] = isAbsolute(f) ? f : join(d.baseDir, f);
      }
      if (Object.keys(files).length === 0) p.error(at(d.source, `${cd}.files`), `at least one file is required (${quoteList(TABLES)})`);
      const columns = checkColumns(c.columns, d.source, `${cd}.columns`, p);
      if (c.timeZone !== undefined) checkTimeZone(c.timeZone, at(d.source, `${cd}.timeZone`), p);
      out = { kind: 'csv', name, files, columns, timeZone: c.timeZone ?? 'UTC' };
    }
  } else if (type === 'PostgreSQL' || type === 'MySQL') {
    const c = parseWith(sqlConnSchema, spec.connectionDetails, d.source, cd, p);
    if (c) {
      const url = resolveUrl(c, env, d.source, cd, p);
      const columns = checkColumns(c.columns, d.source, `${cd}.columns`, p);
      const urlWhere = at(d.source, c.url !== undefined ? `${cd}.url` : `${cd}.urlEnv`);
      if (url !== undefined) {
        if (type === 'PostgreSQL') checkScheme(url, /^postgres(?:ql)?:\/\//, 'postgres:// or postgresql://', urlWhere, p);
        else checkScheme(url, /^mysql:\/\//, 'mysql://', urlWhere, p);
        out = { kind: type === 'PostgreSQL' ? 'postgres' : 'mysql', name, url, tables: { ...c.tables }, columns };
      }
    }
  } else {
    const c = parseWith(promConnSchema, spec.connectionDetails, d.source, cd, p);
    if (c) {
      const url = resolveUrl(c, env, d.source, cd, p);
      let stepMs: number | undefined;
      if (c.step !== undefined) {
        try {
          stepMs = parseDuration(c.step, 'step');
        } catch {
          p.error(at(d.source, `${cd}.step`), `"${c.step}" is not a duration such as 30s, 1m or 5m`);
        }
      }
      if (url !== undefined) {
        checkScheme(url, /^https?:\/\//, 'http:// or https://', at(d.source, c.url !== undefined ? `${cd}.url` : `${cd}.urlEnv`), p);
        out = { kind: 'prometheus', name, url, ...(stepMs !== undefined ? { stepMs } : {}) };
      }
    }
  }
  return p.errors === before && out ? { entry, spec: out } : { entry };
}

// ---------------------------------------------------------------------------------------------
// SLIs
// ---------------------------------------------------------------------------------------------

interface ResolvedSli {
  readonly sli: SliSpec;
  readonly dataSource?: string;
}

interface Resolved {
  readonly ds: DataSourceEntry | undefined;
  readonly type: SourceType;
}

class Context {
  readonly dataSources = new Map<string, DataSourceEntry>();
  /** Names of AlertCondition and AlertNotificationTarget documents (for AlertPolicy references). */
  readonly conditions = new Set<string>();
  readonly targets = new Set<string>();
  constructor(readonly p: Problems) {}

  /** Check an AlertPolicy's condition and notification-target references (inline ones loosely). */
  checkPolicyRefs(spec: z.output<typeof alertPolicySpecSchema>, source: string, path: string): void {
    const p = this.p;
    spec.conditions.forEach((c, i) => {
      const cp = `${path}.conditions[${i}]`;
      if ('conditionRef' in c) {
        const r = parseWith(z.object({ conditionRef: z.string() }).strict(), c, source, cp, p);
        if (r && !this.conditions.has(r.conditionRef)) p.error(at(source, `${cp}.conditionRef`), `no AlertCondition named "${r.conditionRef}"`);
      } else parseWith(z.object({ kind: z.literal('AlertCondition'), metadata: metadataSchema, spec: z.unknown() }).strict(), c, source, cp, p);
    });
    spec.notificationTargets?.forEach((t, i) => {
      const tp = `${path}.notificationTargets[${i}]`;
      if ('targetRef' in t) {
        const r = parseWith(z.object({ targetRef: z.string() }).strict(), t, source, tp, p);
        if (r && !this.targets.has(r.targetRef)) p.error(at(source, `${tp}.targetRef`), `no AlertNotificationTarget named "${r.targetRef}"`);
      } else parseWith(z.object({ kind: z.literal('AlertNotificationTarget'), metadata: metadataSchema, spec: z.unknown() }).strict(), t, source, tp, p);
    });
  }

  /** Which DataSource and type a metricSource reads; undefined after reporting why not. */
  resolveSource(ms: MetricSource, source: string, path: string): Resolved | undefined {
    const p = this.p;
    let ds: DataSourceEntry | undefined;
    let type: SourceType | undefined;
    if (ms.type !== undefined) {
      type = sourceType(ms.type);
      if (!type) {
        p.error(at(source, `${path}.type`), `unknown metric source type "${ms.type}"; Vigía reads ${quoteList(SOURCE_TYPES)}`);
        return undefined;
      }
    }
    const all = [...this.dataSources.values()];
    if (ms.metricSourceRef !== undefined) {
      ds = this.dataSources.get(ms.metricSourceRef);
      if (!ds) {
        const known = all.length ? `the DataSources are ${quoteList(all.map((x) => x.name))}` : 'no DataSource is defined';
        p.error(at(source, `${path}.metricSourceRef`), `no DataSource named "${ms.metricSourceRef}"; ${known}`);
        return undefined;
      }
    } else if (all.length === 1) {
      ds = all[0];
    } else if (all.length > 1) {
      p.error(at(source, `${path}.metricSourceRef`), `is required when there are several DataSources (${quoteList(all.map((x) => x.name))})`);
      return undefined;
    } else if (type !== 'Prometheus') {
      // Records always need a DataSource; a Prometheus query may run against the server given elsewhere.
      p.error(at(source, path), `no DataSource is defined: add a document of kind DataSource (type ${quoteList(SOURCE_TYPES)}) and name it in metricSourceRef`);
      return undefined;
    }
    if (ds && type && ds.type && ds.type !== type) {
      p.error(at(source, `${path}.type`), `"${ms.type}" does not match DataSource "${ds.name}", which is of type ${ds.type}`);
      return undefined;
    }
    const t = ds?.type ?? type;
    if (!t) return undefined; // the DataSource's own error says why
    return { ds, type: t };
  }

  /** Check a records DataSource has the table an SLI reads (CSV lists its files). */
  checkTable(r: Resolved, what: ThresholdEvent | (typeof RATIO_SLIS)[number], where: string, spec: DataSourceSpec | undefined): boolean {
    const table = TABLE_OF[what];
    if (spec?.kind === 'csv' && spec.files[table] === undefined) {
      this.p.error(where, `${what} reads the ${table} table, but DataSource "${r.ds!.name}" has no ${table} file`);
      return false;
    }
    return true;
  }

  checkQuery(q: string, where: string): boolean {
    if (!/\{\{ *\.window *\}\}/.test(q)) {
      this.p.error(where, 'the query must contain {{.window}} (Vigía fills in the step, as Sloth does), e.g. sum(increase(http_requests_total[{{.window}}]))');
      return false;
    }
    return true;
  }

  /** Turn an SLI spec (already schema-checked) into the model; undefined after reporting why not. */
  resolveSli(spec: SliSpecDoc, source: string, path: string, specs: ReadonlyMap<string, DataSourceSpec>): ResolvedSli | undefined {
    const p = this.p;
    const dsName = (r: Resolved): { dataSource?: string } => (r.ds ? { dataSource: r.ds.name } : {});
    if (spec.thresholdMetric && spec.ratioMetric) {
      p.error(at(source, path), 'give thresholdMetric or ratioMetric, not both');
      return undefined;
    }
    if (spec.thresholdMetric) {
      const mp = `${path}.thresholdMetric.metricSource`;
      const ms = spec.thresholdMetric.metricSource;
      const r = this.resolveSource(ms, source, mp);
      if (!r) return undefined;
      if (r.type === 'Prometheus') {
        p.error(at(source, mp), `a threshold SLI reads records (${RECORD_TYPES}); Prometheus SLIs are ratioMetric`);
        return undefined;
      }
      const s = parseWith(recordsThresholdSpec, ms.spec, source, `${mp}.spec`, p);
      if (!s) return undefined;
      if (!(EVENTS as readonly string[]).includes(s.event)) {
        p.error(at(source, `${mp}.spec.event`), `unknown event "${s.event}"; the events are ${quoteList(EVENTS)}`);
        return undefined;
      }
      const event = s.event as ThresholdEvent;
      if (!this.checkTable(r, event, at(source, `${mp}.spec.event`), specs.get(r.ds!.name))) return undefined;
      return { sli: { kind: 'threshold', event }, ...dsName(r) };
    }
    const rm = spec.ratioMetric;
    if (!rm) {
      p.error(at(source, path), 'thresholdMetric or ratioMetric is required');
      return undefined;
    }
    const rp = `${path}.ratioMetric`;
    if (rm.raw) {
      if (rm.good || rm.bad || rm.total) {
        p.error(at(source, rp), 'raw cannot be used with good, bad or total');
        return undefined;
      }
      if (!rm.rawType) {
        p.error(at(source, `${rp}.rawType`), 'is required with raw (success: the query is good/total; failure: bad/total)');
        return undefined;
      }
      const mp = `${rp}.raw.metricSource`;
      const r = this.resolveSource(rm.raw.metricSource, source, mp);
      if (!r) return undefined;
      if (r.type !== 'Prometheus') {
        p.error(at(source, mp), `a raw ratio is a Prometheus query; ${r.type} sources give good and total records`);
        return undefined;
      }
      const s = parseWith(prometheusSpec, rm.raw.metricSource.spec, source, `${mp}.spec`, p);
      if (!s || !this.checkQuery(s.query, at(source, `${mp}.spec.query`))) return undefined;
      const errorRatioQuery = rm.rawType === 'failure' ? s.query : `1 - (${s.query})`;
      return { sli: { kind: 'prometheus-raw', errorRatioQuery }, ...dsName(r) };
    }
    if (rm.rawType) p.warn(at(source, `${rp}.rawType`), 'is only used with raw; ignored');
    if (rm.good && rm.bad) {
      p.error(at(source, rp), 'give good or bad, not both');
      return undefined;
    }
    const numKey = rm.good ? 'good' : rm.bad ? 'bad' : undefined;
    const num = rm.good ?? rm.bad;
    if (!num || !numKey) {
      p.error(at(source, rp), 'good or bad is required (with total), or raw with rawType');
      return undefined;
    }
    if (!rm.total) {
      p.error(at(source, `${rp}.total`), `is required with ${numKey}`);
      return undefined;
    }
    const np = `${rp}.${numKey}.metricSource`;
    const tp = `${rp}.total.metricSource`;
    const rn = this.resolveSource(num.metricSource, source, np);
    if (!rn) return undefined;
    const rt = this.resolveSource(rm.total.metricSource, source, tp);
    if (!rt) return undefined;
    if (rn.ds?.name !== rt.ds?.name || rn.type !== rt.type) {
      p.error(at(source, tp), `${numKey} and total must read the same DataSource`);
      return undefined;
    }
    if (rn.type === 'Prometheus') {
      const sn = parseWith(prometheusSpec, num.metricSource.spec, source, `${np}.spec`, p);
      const st = parseWith(prometheusSpec, rm.total.metricSource.spec, source, `${tp}.spec`, p);
      if (!sn || !st) return undefined;
      const okN = this.checkQuery(sn.query, at(source, `${np}.spec.query`));
      const okT = this.checkQuery(st.query, at(source, `${tp}.spec.query`));
      if (!okN || !okT) return undefined;
      if (sn.query === st.query) {
        p.error(at(source, rp), `the ${numKey} and total queries are the same`);
        return undefined;
      }
      const sli: SliSpec = numKey === 'good' ? { kind: 'prometheus-ratio', goodQuery: sn.query, totalQuery: st.query } : { kind: 'prometheus-ratio', badQuery: sn.query, totalQuery: st.query };
      return { sli, ...dsName(rn) };
    }
    const sn = parseWith(recordsRatioSpec, num.metricSource.spec, source, `${np}.spec`, p);
    const st = parseWith(recordsRatioSpec, rm.total.metricSource.spec, source, `${tp}.spec`, p);
    if (!sn || !st) return undefined;
    if (sn.sli === undefined) {
      p.error(at(source, `${np}.spec.sli`), `is required (${quoteList(RATIO_SLIS)})`);
      return undefined;
    }
    if (!(RATIO_SLIS as readonly string[]).includes(sn.sli)) {
      p.error(at(source, `${np}.spec.sli`), `unknown sli "${sn.sli}"; the ratio SLIs are ${quoteList(RATIO_SLIS)}`);
      return undefined;
    }
    if (st.sli !== undefined && st.sli !== sn.sli) {
      p.error(at(source, `${tp}.spec.sli`), `"${st.sli}" differs from the ${numKey} sli "${sn.sli}"`);
      return undefined;
    }
    if (sn.countClientErrors !== undefined && st.countClientErrors !== undefined && sn.countClientErrors !== st.countClientErrors) {
      p.error(at(source, `${tp}.spec.countClientErrors`), `differs from the ${numKey} countClientErrors`);
      return undefined;
    }
    const kind = sn.sli as (typeof RATIO_SLIS)[number];
    if (!this.checkTable(rn, kind, at(source, `${np}.spec.sli`), specs.get(rn.ds!.name))) return undefined;
    return { sli: { kind, countClientErrors: sn.countClientErrors ?? st.countClientErrors ?? false }, ...dsName(rn) };
  }
}

// ---------------------------------------------------------------------------------------------
// SLOs
// ---------------------------------------------------------------------------------------------

const pad = (n: number): string => String(n).padStart(2, '0');
const MIN_MS: Readonly<Record<WindowDuration['unit'], number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, M: 28 * 86_400_000, Q: 89 * 86_400_000, Y: 365 * 86_400_000 };
const plural = (n: number, one: string): string => (n === 1 ? `one ${one}` : `${n} ${one}s`);

function parseWindow(tws: SloSpecDoc['timeWindow'], source: string, p: Problems): WindowSpec | undefined {
  if (!tws || tws.length === 0) {
    p.error(at(source, 'spec.timeWindow'), 'exactly one time window is required');
    return undefined;
  }
  if (tws.length > 1) {
    p.error(at(source, 'spec.timeWindow'), `OpenSLO allows exactly one time window; found ${tws.length}`);
    return undefined;
  }
  const tw = tws[0]!;
  const path = 'spec.timeWindow[0]';
  let duration: WindowDuration;
  try {
    duration = parseWindowDuration(tw.duration, 'duration');
  } catch {
    p.error(at(source, `${path}.duration`), `"${tw.duration}" is not a window such as 28d, 4w, 1M, 1Q or 1Y`);
    return undefined;
  }
  const { count: n } = duration;
  if (duration.unit === 'm') p.warn(at(source, `${path}.duration`), `${n}m is ${plural(n, 'minute')}; did you mean ${n}M (${plural(n, 'month')})? In OpenSLO durations m is minutes and M is months`);
  else if (duration.unit === 'h' && n < 24) p.warn(at(source, `${path}.duration`), `${n}h is ${plural(n, 'hour')}, under a day: SLO windows are days to years (28d, 1M, 1Q, 1Y; m is minutes, M is months)`);
  const isRolling = tw.isRolling ?? tw.calendar === undefined;
  if (isRolling) {
    if (tw.calendar !== undefined) {
      p.error(at(source, `${path}.calendar`), 'a rolling window (isRolling: true) has no calendar');
      return undefined;
    }
    return { duration, isRolling: true, timeZone: 'UTC' };
  }
  if (!tw.calendar) {
    p.error(at(source, `${path}.calendar`), 'a calendar window (isRolling: false) needs calendar.startTime and calendar.timeZone');
    return undefined;
  }
  const before = p.errors;
  const { startTime, timeZone } = tw.calendar;
  if (startTime === undefined) p.error(at(source, `${path}.calendar.startTime`), 'is required for a calendar window (a local time such as 2025-01-01 00:00:00)');
  if (timeZone === undefined) p.error(at(source, `${path}.calendar.timeZone`), 'is required for a calendar window (an IANA name such as UTC or Europe/Madrid)');
  let start: string | undefined;
  if (startTime !== undefined) {
    try {
      const w = parseWallTime(startTime, 'startTime');
      start = `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
    } catch {
      p.error(at(source, `${path}.calendar.startTime`), `"${startTime}" is not a local time such as 2025-01-01 00:00:00 (no offset: the zone is timeZone)`);
    }
  }
  if (timeZone !== undefined) checkTimeZone(timeZone, at(source, `${path}.calendar.timeZone`), p);
  if (p.errors !== before || start === undefined || timeZone === undefined) return undefined;
  return { duration, isRolling: false, timeZone, start };
}

function parseSliceWindow(v: number | string, where: string, p: Problems): number | undefined {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v > 0) return v * 60_000; // OpenSLO: a bare number is minutes
    p.error(where, `${v} is not a positive whole number of minutes`);
    return undefined;
  }
  try {
    return parseDuration(v, 'timeSliceWindow');
  } catch {
    p.error(where, `"${v}" is not a duration such as 1m, 5m or 1h`);
    return undefined;
  }
}

function parseTarget(o: z.output<typeof objectiveSchema>, source: string, path: string, p: Problems): number | undefined {
  if (o.target !== undefined && o.targetPercent !== undefined) {
    p.error(at(source, path), 'give target or targetPercent, not both');
    return undefined;
  }
  if (o.target !== undefined) {
    const t = o.target;
    if (t === 1) p.error(at(source, `${path}.target`), '1 (100 %) leaves no error budget: every bad event breaks the SLO; use e.g. 0.999');
    else if (t > 1 && t < 100) p.error(at(source, `${path}.target`), `${t} is not a ratio in (0, 1); did you mean targetPercent: ${t}?`);
    else if (!(t > 0 && t < 1)) p.error(at(source, `${path}.target`), `${t} is not a ratio in (0, 1) such as 0.99`);
    else return t;
    return undefined;
  }
  if (o.targetPercent !== undefined) {
    const t = o.targetPercent;
    if (t === 100) p.error(at(source, `${path}.targetPercent`), '100 % leaves no error budget: every bad event breaks the SLO; use e.g. 99.9');
    else if (!(t > 0 && t < 100)) p.error(at(source, `${path}.targetPercent`), `${t} is not a percentage in (0, 100) such as 99`);
    else {
      if (t < 1) p.warn(at(source, `${path}.targetPercent`), `${t} % is very low; targetPercent is a percentage (99), target a ratio (0.99)`);
      return percentToRatio(t);
    }
    return undefined;
  }
  p.error(at(source, path), 'target or targetPercent is required');
  return undefined;
}

interface PendingSlo {
  readonly d: SpecDocument;
  readonly name: string;
  readonly displayName: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: SloSpecDoc;
}

interface NamedDoc {
  readonly source: string;
}

function buildSlo(s: PendingSlo, ctx: Context, slis: ReadonlyMap<string, ResolvedSli | null>, specs: ReadonlyMap<string, DataSourceSpec>, policies: ReadonlySet<string>): SloDefinition | undefined {
  const p = ctx.p;
  const { source } = s.d;
  const before = p.errors;
  const spec = s.spec;

  let sli: ResolvedSli | undefined;
  if (spec.indicator && spec.indicatorRef !== undefined) p.error(at(source, 'spec'), 'give indicator or indicatorRef, not both');
  else if (spec.indicator) sli = ctx.resolveSli(spec.indicator.spec, source, 'spec.indicator.spec', specs);
  else if (spec.indicatorRef !== undefined) {
    const r = slis.get(spec.indicatorRef);
    if (r === undefined) {
      const known = [...slis.keys()];
      p.error(at(source, 'spec.indicatorRef'), `no SLI named "${spec.indicatorRef}"; ${known.length ? `the SLIs are ${quoteList(known)}` : 'no SLI document is defined'}`);
    } else if (r === null) return undefined; // the SLI's own errors say why
    else sli = r;
  } else p.error(at(source, 'spec'), 'indicator or indicatorRef is required');

  const window = parseWindow(spec.timeWindow, source, p);
  const budgeting = BUDGETING.find((b) => b === spec.budgetingMethod);
  if (!budgeting) p.error(at(source, 'spec.budgetingMethod'), `unknown budgeting method "${spec.budgetingMethod}"; one of ${quoteList(BUDGETING)}`);

  let statistic: StatisticName | undefined;
  const stat = s.annotations[STATISTIC_ANNOTATION];
  const statWhere = at(source, `metadata.annotations["${STATISTIC_ANNOTATION}"]`);
  if (stat !== undefined) {
    if (!(STATISTICS as readonly string[]).includes(stat)) p.error(statWhere, `unknown statistic "${stat}"; one of ${quoteList(STATISTICS)}`);
    else if (sli && sli.sli.kind !== 'threshold') p.warn(statWhere, 'only threshold SLIs are judged by a statistic; ignored for this ratio SLI');
    else statistic = stat as StatisticName;
  }

  spec.alertPolicies?.forEach((ap, i) => {
    const path = `spec.alertPolicies[${i}]`;
    if ('alertPolicyRef' in ap) {
      const r = parseWith(z.object({ alertPolicyRef: z.string() }).strict(), ap, source, path, p);
      if (r && !policies.has(r.alertPolicyRef)) p.error(at(source, `${path}.alertPolicyRef`), `no AlertPolicy named "${r.alertPolicyRef}"`);
    } else {
      const r = parseWith(z.object({ kind: z.literal('AlertPolicy'), metadata: metadataSchema, spec: alertPolicySpecSchema }).strict(), ap, source, path, p);
      if (r) ctx.checkPolicyRefs(r.spec, source, `${path}.spec`);
    }
  });

  const isThreshold = sli?.sli.kind === 'threshold';
  if (isThreshold && (budgeting === 'Timeslices' || budgeting === 'RatioTimeslices')) {
    // A ticket or a deploy gap is an event, not a slice of time: slicing it would count time with no event.
    p.error(at(source, 'spec.budgetingMethod'), `${budgeting} needs a ratio SLI over time (requests, availability, Prometheus); a threshold SLI over records is budgeted per event: use Occurrences`);
  }
  const sloDisplay = s.displayName ?? s.name;
  const objectives: ObjectiveSpec[] = [];
  spec.objectives.forEach((o, i) => {
    const path = `spec.objectives[${i}]`;
    const target = parseTarget(o, source, path, p);
    if (o.indicator !== undefined || o.indicatorRef !== undefined) {
      p.error(at(source, `${path}.${o.indicator !== undefined ? 'indicator' : 'indicatorRef'}`), 'composite SLOs (an indicator per objective) are not supported; give the SLO one indicator');
    }
    if (o.compositeWeight !== undefined) p.warn(at(source, `${path}.compositeWeight`), 'only composite SLOs use compositeWeight; ignored');
    let op: (typeof OPS)[number] | undefined;
    if (sli && isThreshold) {
      if (o.op === undefined) p.error(at(source, `${path}.op`), `is required for a threshold SLI (${quoteList(OPS)})`);
      else if (!(OPS as readonly string[]).includes(o.op)) p.error(at(source, `${path}.op`), `unknown operator "${o.op}"; one of ${quoteList(OPS)}`);
      else op = o.op as (typeof OPS)[number];
      if (o.value === undefined) p.error(at(source, `${path}.value`), 'is required for a threshold SLI (the threshold each value is compared with)');
    } else if (sli && (o.op !== undefined || o.value !== undefined)) {
      p.warn(at(source, path), `op and value are only used with a threshold SLI; ignored for this ${sli.sli.kind} SLI`);
    }
    let timeSliceTarget: number | undefined;
    let timeSliceWindowMs: number | undefined;
    if (budgeting === 'Timeslices' || budgeting === 'RatioTimeslices') {
      if (o.timeSliceWindow === undefined) p.error(at(source, `${path}.timeSliceWindow`), `is required with ${budgeting} budgeting (the length of a slice, e.g. 5m)`);
      else {
        timeSliceWindowMs = parseSliceWindow(o.timeSliceWindow, at(source, `${path}.timeSliceWindow`), p);
        if (timeSliceWindowMs !== undefined && window && timeSliceWindowMs >= window.duration.count * MIN_MS[window.duration.unit]) {
          p.error(at(source, `${path}.timeSliceWindow`), `a slice of ${o.timeSliceWindow} is not shorter than the ${window.duration.count}${window.duration.unit} window`);
        }
      }
      if (budgeting === 'Timeslices') {
        if (o.timeSliceTarget === undefined) p.error(at(source, `${path}.timeSliceTarget`), 'is required with Timeslices budgeting (the share of good events that makes a slice good, e.g. 0.95)');
        else if (!(o.timeSliceTarget > 0 && o.timeSliceTarget <= 1)) p.error(at(source, `${path}.timeSliceTarget`), `${o.timeSliceTarget} is not a ratio in (0, 1]`);
        else timeSliceTarget = o.timeSliceTarget;
      } else if (o.timeSliceTarget !== undefined) {
        p.warn(at(source, `${path}.timeSliceTarget`), 'RatioTimeslices averages the slices\' ratios and uses no slice target; ignored');
      }
    } else if (budgeting === 'Occurrences') {
      for (const k of ['timeSliceTarget', 'timeSliceWindow'] as const) {
        if (o[k] !== undefined) p.warn(at(source, `${path}.${k}`), 'only Timeslices and RatioTimeslices budgeting use time slices; ignored with Occurrences');
      }
    }
    if (target === undefined) return;
    objectives.push({
      displayName: o.displayName ?? (spec.objectives.length === 1 ? sloDisplay : `${sloDisplay} #${i + 1}`),
      target,
      ...(isThreshold && op !== undefined && o.value !== undefined ? { op, threshold: o.value } : {}),
      ...(statistic !== undefined ? { statistic } : {}),
      ...(timeSliceTarget !== undefined ? { timeSliceTarget } : {}),
      ...(timeSliceWindowMs !== undefined ? { timeSliceWindowMs } : {}),
    });
  });

  if (p.errors !== before || !sli || !window || !budgeting) return undefined;
  return {
    name: s.name,
    service: spec.service,
    displayName: sloDisplay,
    description: spec.description ?? '',
    sli: sli.sli,
    budgeting,
    objectives,
    window,
    ...(sli.dataSource !== undefined ? { dataSource: sli.dataSource } : {}),
    source,
    labels: s.labels,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

function flattenLabels(labels: Readonly<Record<string, string | string[]>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/**
 * Parse OpenSLO v1 documents (from any number of files: references work across them) into SLO
 * definitions, data sources and problems. Every document must be `apiVersion: openslo/v1`; the
 * loader routes other formats elsewhere. Errors leave the SLO or DataSource out; warnings do not.
 */
export function parseOpenSlo(docs: readonly SpecDocument[], env: SpecEnv): SpecSet {
  const p = new Problems();
  const ctx = new Context(p);
  const dsSpecs = new Map<string, DataSourceSpec>();
  const sliDocs = new Map<string, { d: SpecDocument; spec: SliSpecDoc | undefined }>();
  const sloDocs: PendingSlo[] = [];
  const policyDocs: Array<{ d: SpecDocument; spec: z.output<typeof alertPolicySpecSchema> }> = [];
  const named = new Map<string, Map<string, NamedDoc>>();
  const policies = new Set<string>();

  for (const d of docs) {
    const { source } = d;
    if (!isObject(d.doc)) {
      p.error(source, 'a document must be a mapping with apiVersion, kind, metadata and spec');
      continue;
    }
    const env0 = parseWith(envelopeSchema, d.doc, source, '', p);
    if (!env0) continue;
    if (env0.apiVersion !== 'openslo/v1') {
      p.error(at(source, 'apiVersion'), `"${env0.apiVersion}" is not supported; use openslo/v1`);
      continue;
    }
    const kind = KINDS.find((k) => k === env0.kind);
    if (!kind) {
      p.error(at(source, 'kind'), `unknown kind "${env0.kind}"; one of ${quoteList(KINDS)}`);
      continue;
    }
    const meta = parseWith(metadataSchema, env0.metadata, source, 'metadata', p);
    if (!meta) continue;
    let byName = named.get(kind);
    if (!byName) named.set(kind, (byName = new Map()));
    const prev = byName.get(meta.name);
    if (prev) {
      p.error(at(source, 'metadata.name'), `${kind} "${meta.name}" is already defined in ${prev.source}`);
      continue;
    }
    byName.set(meta.name, { source });

    switch (kind) {
      case 'DataSource': {
        const r = parseDataSource(meta.name, env0.spec, d, env, p);
        if (r) {
          ctx.dataSources.set(meta.name, r.entry);
          if (r.spec) dsSpecs.set(meta.name, r.spec);
        }
        break;
      }
      case 'SLI':
        sliDocs.set(meta.name, { d, spec: parseWith(sliSpecSchema, env0.spec, source, 'spec', p) });
        break;
      case 'SLO': {
        const spec = parseWith(sloSpecSchema, env0.spec, source, 'spec', p);
        if (spec) sloDocs.push({ d, name: meta.name, displayName: meta.displayName, labels: flattenLabels(meta.labels), annotations: meta.annotations ?? {}, spec });
        break;
      }
      case 'AlertPolicy': {
        policies.add(meta.name);
        const spec = parseWith(alertPolicySpecSchema, env0.spec, source, 'spec', p);
        if (spec) policyDocs.push({ d, spec });
        break;
      }
      case 'Service':
        parseWith(z.object({ description: description.optional() }).strict().optional(), env0.spec, source, 'spec', p);
        break;
      case 'AlertCondition':
      case 'AlertNotificationTarget':
        (kind === 'AlertCondition' ? ctx.conditions : ctx.targets).add(meta.name);
        p.warn(source, `Vigía does not evaluate ${kind} documents; "${meta.name}" is ignored`);
        break;
    }
  }

  for (const { d, spec } of policyDocs) ctx.checkPolicyRefs(spec, d.source, 'spec');
  const slis = new Map<string, ResolvedSli | null>();
  for (const [n, { d, spec }] of sliDocs) slis.set(n, spec ? (ctx.resolveSli(spec, d.source, 'spec', dsSpecs) ?? null) : null);
  const slos: SloDefinition[] = [];
  for (const s of sloDocs) {
    const slo = buildSlo(s, ctx, slis, dsSpecs, policies);
    if (slo) slos.push(slo);
  }
  return { slos, dataSources: [...dsSpecs.values()], problems: p.list };
}
