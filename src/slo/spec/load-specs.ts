/**
 * Loads a spec directory (the I/O edge of `vigia slo`): every path is a YAML file or a directory
 * whose *.yaml / *.yml files are read in name order (not recursively). Each file may hold several
 * documents; each document is routed by its header: `apiVersion: openslo/v1` to the OpenSLO parser
 * (all OpenSLO documents are parsed together, so references work across files); the forms Sloth
 * reads (`version: prometheus/v1`, `apiVersion: sloth.slok.dev/v1` PrometheusServiceLevel, `apiVersion:
 * openslo/v1alpha` SLO) to the Sloth parser. An SLO is identified by service and name (Sloth's ID
 * `<service>-<name>`), so two services may each have an SLO of the same name. Nothing is thrown for a
 * bad spec: problems are returned.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { SloDefinition, SpecProblem, SpecSet } from '../model.js';
import { parseOpenSlo, percentToRatio } from './openslo.js';
import type { SpecDocument, SpecEnv } from './openslo.js';
import { parseSlothDocument, slothFormatOf } from './sloth-spec.js';
import type { ParsedSlothSpec } from './sloth-spec.js';

const YAML_RE = /\.ya?ml$/i;

/** Split a Sloth message "[invalid configuration: ]source: path: message" into a problem. */
function slothProblem(severity: SpecProblem['severity'], source: string, text: string): SpecProblem {
  const k = text.indexOf(`${source}: `);
  const rest = k >= 0 ? text.slice(k + source.length + 2) : text;
  const i = rest.indexOf(': ');
  return i > 0 && !rest.slice(0, i).includes(' ') ? { severity, where: `${source}: ${rest.slice(0, i)}`, message: rest.slice(i + 2) } : { severity, where: source, message: rest };
}

/** Sloth SLOs in Vigía's model: Occurrences over a 30-day rolling window in UTC (an OpenSLO v1alpha SLO's own days), as Sloth computes them. */
export function slothToDefinitions(spec: ParsedSlothSpec, source: string): SloDefinition[] {
  return spec.slos.map((s) => ({
    name: s.name,
    service: s.service,
    displayName: s.name,
    description: s.description ?? '',
    sli: s.sli.kind === 'events' ? { kind: 'prometheus-ratio', badQuery: s.sli.errorQuery, totalQuery: s.sli.totalQuery } : { kind: 'prometheus-raw', errorRatioQuery: s.sli.errorRatioQuery },
    budgeting: 'Occurrences',
    objectives: [{ displayName: `${s.objective} %`, target: percentToRatio(s.objective) }],
    window: { duration: { count: s.windowDays ?? 30, unit: 'd' }, isRolling: true, timeZone: 'UTC' },
    source,
    labels: s.labels,
  }));
}

/** The YAML files a path names: itself, or a directory's *.yaml / *.yml files in name order. */
async function filesOf(path: string, problems: SpecProblem[]): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    problems.push({ severity: 'error', where: path, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return [];
  }
  if (!st.isDirectory()) return [path];
  const names = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && YAML_RE.test(e.name)).map((e) => e.name);
  names.sort();
  if (names.length === 0) problems.push({ severity: 'error', where: path, message: 'no .yaml or .yml files in this directory' });
  return names.map((n) => join(path, n));
}

/**
 * Read, parse and check the specs under `paths` (files or directories). `env` supplies the
 * variables named by DataSource `urlEnv` fields. YAML syntax errors are reported with file and line.
 */
export async function loadSpecs(paths: readonly string[], env: SpecEnv): Promise<SpecSet> {
  const problems: SpecProblem[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    for (const f of await filesOf(path, problems)) {
      const abs = resolve(f);
      if (seen.has(abs)) continue;
      seen.add(abs);
      files.push(f);
    }
  }

  const openslo: SpecDocument[] = [];
  const sloth: Array<{ source: string; slos: SloDefinition[] }> = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ severity: 'error', where: file, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const baseDir = dirname(resolve(file));
    parseAllDocuments(text).forEach((doc, i) => {
      const source = `${file}#${i + 1}`;
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          const pos = e.linePos?.[0];
          problems.push({ severity: 'error', where: pos ? `${file}:${pos.line}:${pos.col}` : source, message: `YAML: ${e.message.split(' at line ')[0]!.split('\n')[0]}` });
        }
        return;
      }
      for (const w of doc.warnings) {
        const pos = w.linePos?.[0];
        problems.push({ severity: 'warning', where: pos ? `${file}:${pos.line}:${pos.col}` : source, message: `YAML: ${w.message.split(' at line ')[0]!.split('\n')[0]}` });
      }
      const js: unknown = doc.toJS();
      if (js === null || js === undefined) return; // an empty document (a trailing ---)
      const header = typeof js === 'object' && js !== null && !Array.isArray(js) ? (js as Record<string, unknown>) : {};
      if (header.apiVersion === 'openslo/v1') openslo.push({ source, baseDir, doc: js });
      else if (slothFormatOf(js) !== undefined) {
        try {
          const parsed = parseSlothDocument(js, source);
          for (const w of parsed.warnings) problems.push(slothProblem('warning', source, w));
          sloth.push({ source, slos: slothToDefinitions(parsed, source) });
        } catch (err) {
          problems.push(slothProblem('error', source, (err as Error).message));
        }
      } else if (typeof header.apiVersion === 'string') {
        problems.push({ severity: 'error', where: `${source}: apiVersion`, message: `"${header.apiVersion}"${typeof header.kind === 'string' ? ` kind ${header.kind}` : ''} is not supported; use openslo/v1 (OpenSLO), or what Sloth reads: version: prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, openslo/v1alpha SLO` });
      } else {
        problems.push({ severity: 'error', where: source, message: 'not an SLO spec: expected apiVersion: openslo/v1 (OpenSLO) or version: prometheus/v1 (Sloth)' });
      }
    });
  }

  const set = parseOpenSlo(openslo, env);
  const slos = [...set.slos];
  const allProblems = [...problems, ...set.problems];
  // Sloth's identity (its validate command): service and name, as the ID `<service>-<name>`.
  const idOf = (s: SloDefinition): string => `${s.service}-${s.name}`;
  const ids = new Map(slos.map((s) => [idOf(s), s.source]));
  for (const { source, slos: defs } of sloth) {
    for (const s of defs) {
      const prev = ids.get(idOf(s));
      if (prev) {
        allProblems.push({ severity: 'error', where: source, message: `SLO "${s.name}" of service "${s.service}" (ID ${idOf(s)}) is already defined in ${prev}` });
        continue;
      }
      ids.set(idOf(s), source);
      slos.push(s);
    }
  }
  return { slos, dataSources: set.dataSources, problems: allProblems };
}

/** Render problems one per line: "error: where: message". */
export function formatProblems(problems: readonly SpecProblem[]): string {
  return problems.map((p) => `${p.severity}: ${p.where}: ${p.message}`).join('\n');
}
