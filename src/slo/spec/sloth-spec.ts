/**
 * Sloth's `prometheus/v1` SLO spec (github.com/slok/sloth): parsed with a strict schema (an unknown
 * field is an error naming its path) and checked the way Sloth checks it (names, objective range,
 * one SLI type, `{{.window}}` in every query, label names), plus what Sloth lets through but a
 * reviewer would stop: an objective of 100 % (no error budget: nothing can ever alert) and queries
 * using template variables other than `.window`.
 *
 * Pure: text in, model or VigiaError out. Warnings are returned, not printed.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { VigiaError } from '../../core/errors.js';

/** Sloth's name rule for services, SLO names and IDs. */
export const SLOTH_NAME_RE = /^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const WINDOW_VAR_RE = /\{\{ *\.window *\}\}/;

const labels = z.record(z.string(), z.string()).default({});
const alertMeta = z
  .object({ disable: z.boolean().default(false), labels, annotations: labels })
  .strict()
  .default({});

const sloSchema = z
  .object({
    name: z.string(),
    objective: z.number(),
    description: z.string().optional(),
    labels,
    sli: z
      .object({
        events: z.object({ error_query: z.string(), total_query: z.string() }).strict().optional(),
        raw: z.object({ error_ratio_query: z.string() }).strict().optional(),
        plugin: z.object({ id: z.string(), options: z.record(z.string(), z.string()).optional() }).strict().optional(),
      })
      .strict(),
    alerting: z
      .object({ name: z.string().optional(), labels, annotations: labels, page_alert: alertMeta, ticket_alert: alertMeta })
      .strict()
      .default({}),
  })
  .strict();

const specSchema = z
  .object({
    version: z.literal('prometheus/v1', { errorMap: () => ({ message: 'must be "prometheus/v1"' }) }),
    service: z.string(),
    labels,
    slos: z.array(sloSchema).min(1, 'at least one SLO is required').max(1000),
  })
  .strict();

/** An SLI as rules need it. */
export type RuleSli = { readonly kind: 'events'; readonly errorQuery: string; readonly totalQuery: string } | { readonly kind: 'raw'; readonly errorRatioQuery: string };

/** Page or ticket alert settings; null when disabled. */
export interface RuleAlertMeta {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One SLO ready for rule generation (Sloth's model). */
export interface RuleSlo {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly description?: string;
  /** Percent, (0, 100). */
  readonly objective: number;
  /** Spec labels merged with the SLO's (SLO wins). */
  readonly labels: Readonly<Record<string, string>>;
  readonly sli: RuleSli;
  readonly alertName: string | null;
  readonly page: RuleAlertMeta | null;
  readonly ticket: RuleAlertMeta | null;
}

/** Parse result. */
export interface ParsedSlothSpec {
  readonly service: string;
  readonly slos: readonly RuleSlo[];
  readonly warnings: readonly string[];
}

const fail = (source: string, path: string, msg: string): VigiaError => new VigiaError('VIGIA_ERR_CONFIG', `${source}: ${path}: ${msg}`);

function checkName(source: string, path: string, value: string): void {
  if (!SLOTH_NAME_RE.test(value)) throw fail(source, path, `"${value.slice(0, 80)}": must start and end with a letter or digit and contain only letters, digits, '.', '_' and '-'`);
}

function checkLabels(source: string, path: string, l: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(l)) {
    if (k === '__name__' || !LABEL_NAME_RE.test(k)) throw fail(source, `${path}.${k}`, 'not a valid Prometheus label name');
    if (v === '') throw fail(source, `${path}.${k}`, 'a label value is required');
  }
}

function checkQuery(source: string, path: string, q: string): void {
  if (q.trim() === '') throw fail(source, path, 'a query is required');
  if (!WINDOW_VAR_RE.test(q)) throw fail(source, path, 'the query must contain {{.window}} (the rules fill in each alert window)');
  const other = q.replace(new RegExp(WINDOW_VAR_RE.source, 'g'), '').match(/\{\{[^}]*\}\}/);
  if (other) throw fail(source, path, `unknown template action ${other[0]}: only {{.window}} is filled in`);
}

/** Parse and check a Sloth prometheus/v1 spec. `source` names the file in messages. */
export function parseSlothSpec(text: string, source: string): ParsedSlothSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: not YAML: ${(err as Error).message}`);
  }
  const r = specSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') || '(document)';
    const msg = i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
    throw fail(source, path, msg);
  }
  const spec = r.data;
  const warnings: string[] = [];
  checkName(source, 'service', spec.service);
  checkLabels(source, 'labels', spec.labels);
  const ids = new Set<string>();
  const slos = spec.slos.map((s, i): RuleSlo => {
    const at = `slos[${i}]`;
    checkName(source, `${at}.name`, s.name);
    const id = `${spec.service}-${s.name}`;
    if (ids.has(id)) throw fail(source, `${at}.name`, `SLO "${s.name}" is defined twice`);
    ids.add(id);
    if (!(s.objective > 0 && s.objective <= 100)) throw fail(source, `${at}.objective`, `${s.objective} is not a percentage in (0, 100]`);
    if (s.objective === 100) throw fail(source, `${at}.objective`, '100 % leaves no error budget: every error breaks the SLO and no burn-rate alert can be computed; use e.g. 99.99');
    if (s.objective < 50) warnings.push(`${source}: ${at}.objective: ${s.objective} % is low for an SLO; objectives are percentages (99.9), not ratios (0.999)`);
    checkLabels(source, `${at}.labels`, s.labels);
    const kinds = [s.sli.events, s.sli.raw, s.sli.plugin].filter((x) => x !== undefined).length;
    if (kinds === 0) throw fail(source, `${at}.sli`, 'one SLI type is required (events or raw)');
    if (kinds > 1) throw fail(source, `${at}.sli`, 'only one SLI type is allowed (events or raw)');
    if (s.sli.plugin) throw fail(source, `${at}.sli.plugin`, `SLI plugins (${s.sli.plugin.id}) are Go code run by Sloth; write the query as events or raw`);
    let sli: RuleSli;
    if (s.sli.events) {
      checkQuery(source, `${at}.sli.events.error_query`, s.sli.events.error_query);
      checkQuery(source, `${at}.sli.events.total_query`, s.sli.events.total_query);
      if (s.sli.events.error_query === s.sli.events.total_query) throw fail(source, `${at}.sli.events`, 'the error and total queries are the same');
      sli = { kind: 'events', errorQuery: s.sli.events.error_query, totalQuery: s.sli.events.total_query };
    } else {
      checkQuery(source, `${at}.sli.raw.error_ratio_query`, s.sli.raw!.error_ratio_query);
      sli = { kind: 'raw', errorRatioQuery: s.sli.raw!.error_ratio_query };
    }
    const a = s.alerting;
    const meta = (m: z.output<typeof alertMeta>, path: string): RuleAlertMeta | null => {
      if (m.disable) return null;
      checkLabels(source, `${at}.alerting.${path}.labels`, m.labels);
      for (const [k, v] of Object.entries(m.annotations)) {
        if (!LABEL_NAME_RE.test(k)) throw fail(source, `${at}.alerting.${path}.annotations.${k}`, 'not a valid annotation name');
        if (v === '') throw fail(source, `${at}.alerting.${path}.annotations.${k}`, 'an annotation value is required');
      }
      return { labels: { ...a.labels, ...m.labels }, annotations: { ...a.annotations, ...m.annotations } };
    };
    checkLabels(source, `${at}.alerting.labels`, a.labels);
    const page = meta(a.page_alert, 'page_alert');
    const ticket = meta(a.ticket_alert, 'ticket_alert');
    if ((page || ticket) && !a.name) throw fail(source, `${at}.alerting.name`, 'an alert name is required unless both page_alert and ticket_alert are disabled');
    if (a.name !== undefined && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(a.name)) throw fail(source, `${at}.alerting.name`, `"${a.name}" is not a valid Prometheus alert name`);
    return {
      id, name: s.name, service: spec.service, ...(s.description ? { description: s.description } : {}), objective: s.objective,
      labels: { ...spec.labels, ...s.labels }, sli, alertName: a.name ?? null, page, ticket,
    };
  });
  return { service: spec.service, slos, warnings };
}
