/**
 * `vigia slo`: service level objectives from SLO specs.
 *
 *   vigia slo rules --spec FILE... [--period 30d] [--alert-windows DIR] [--extra-label k=v]...
 *       Prometheus recording and multi-window multi-burn-rate alert rules, semantically identical to
 *       Sloth's for the same spec and period. Warnings (alert tiers that can never fire, suspicious
 *       objectives) go to stderr; the rules to stdout or --out (written atomically).
 *
 *   vigia slo report --spec DIR... (--period 2025 | --last 365d) [--format text|markdown|html|json] [--out FILE]
 *       Did we meet our objectives, and what do we fix? Per SLO: measured value, objective, margin,
 *       error budget (ratio and natural units), burn rate, months, recommendations; DORA; data hygiene.
 *
 *   vigia slo check --spec DIR...      validate specs (OpenSLO v1, Sloth prometheus/v1) without reading data
 *
 *   vigia slo demo [--dir DIR] [--seed N] [--format ...]
 *       A seeded, realistic year of deploys, outages and tickets with specs for four objectives, and
 *       the report over it.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { parseAllDocuments } from 'yaml';
import { readConfigFile } from '../core/config-file.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { environment } from '../core/config.js';
import { VigiaError } from '../core/errors.js';
import { windowsCatalog, type PeriodWindows } from './alerts/alert-windows.js';
import { openSloRuleSlos } from './alerts/openslo-rules.js';
import { rulesYaml } from './alerts/rules-yaml.js';
import { generateSlothRules, type AlertExprStyle } from './alerts/sloth-rules.js';
import type { SloReport } from './report/build-report.js';
import { parseLast, parsePeriod } from './report/period.js';
import { loadCheckedSpecs, makeReport, renderReport, type ReportFormat } from './report/run-report.js';
import { parseDuration } from './spec/duration.js';
import { formatProblems } from './spec/load-specs.js';
import { parseSlothSpec, slothFormatOf, type RuleSlo } from './spec/sloth-spec.js';
import { plural } from '../core/plural.js';

/** Version printed in `sloth_slo_info{sloth_version}`. */
const GENERATOR_VERSION = 'vigia';
/** --out files (rules, reports) are outputs the user asked for, not private state: 0644 less the umask. */
const OUTPUT_MODE = 0o644;

const FORMATS: readonly ReportFormat[] = ['text', 'markdown', 'html', 'json'];
const progress = (quiet: boolean) => (msg: string): void => {
  if (!quiet) process.stderr.write(`slo: ${msg}\n`);
};

/** The output flags `report` and `demo` share. */
interface OutputOptions {
  readonly format: ReportFormat;
  readonly out?: string;
  readonly quiet: boolean;
}

function withOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('text'))
    .addOption(new Option('--out <file>', 'write the report here (atomically) instead of stdout'))
    .option('--quiet', 'no progress on stderr', false);
}

/** Spec warnings to stderr, the report to stdout or --out, then the verdict count as progress. */
async function emitReport(report: SloReport, opts: OutputOptions): Promise<void> {
  const say = progress(opts.quiet);
  for (const w of report.specWarnings) process.stderr.write(`warning: ${w.where}: ${w.message}\n`);
  const text = renderReport(report, opts.format);
  if (opts.out) {
    await writeFileAtomic(opts.out, text, OUTPUT_MODE);
    say(`wrote ${opts.out}`);
  } else process.stdout.write(text);
  say(`${report.entries.length} objective(s), ${report.entries.filter((e) => e.met === false).length} not met`);
}

/** Spec files of the paths (directories: their *.yaml/*.yml), split into Sloth specs and the others. */
async function classifySpecFiles(paths: readonly string[]): Promise<{ sloth: string[]; other: string[] }> {
  const files: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (err) {
      throw new VigiaError('VIGIA_ERR_CONFIG', `--spec ${p}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    if (isDir) files.push(...(await readdir(p)).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(p, n)));
    else files.push(p);
  }
  const sloth: string[] = [];
  const other: string[] = [];
  for (const f of files) {
    // By document: a file of Sloth forms only (any of the three Sloth reads) is Sloth's; a file
    // with a YAML error goes there too, so its message comes from the Sloth parser with the line.
    const docs = parseAllDocuments(await readConfigFile(f, '--spec'));
    const list = (Array.isArray(docs) ? docs : [docs]).filter((d) => d.errors.length > 0 || (d.toJS() !== null && d.toJS() !== undefined));
    const kinds = list.map((d) => d.errors.length > 0 || slothFormatOf(d.toJS()) !== undefined);
    if (kinds.some(Boolean) && !kinds.every(Boolean)) throw new VigiaError('VIGIA_ERR_CONFIG', `--spec ${f}: mixes Sloth specs with other documents; put OpenSLO v1 documents in files of their own`);
    (kinds.length > 0 && kinds.every(Boolean) ? sloth : other).push(f);
  }
  return { sloth, other };
}

async function loadWindows(dir: string): Promise<PeriodWindows[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--alert-windows ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (names.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `--alert-windows ${dir}: no .yaml/.yml AlertWindows files`);
  return windowsCatalog(await Promise.all(names.map(async (n) => ({ text: await readConfigFile(join(dir, n), 'alert windows'), source: join(dir, n) }))));
}

function parseLabels(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.+)$/.exec(p);
    if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `--extra-label "${p.slice(0, 60)}": expected name=value`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** `--tz` must be an IANA zone; said here so the error names the flag, not a window computation. */
function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--tz: unknown time zone ${JSON.stringify(tz.slice(0, 60))}: use an IANA name such as UTC or Europe/Madrid`);
  }
}

/** Attach `vigia slo` to the program. */
export function register(program: Command): void {
  const slo = program.command('slo').description('service level objectives: reports (SLIs, SLOs, error budgets, DORA) and Prometheus SLO rules');

  withOutputOptions(slo.command('report'))
    .description('did we meet our objectives, and what do we fix? Evaluates SLO specs (OpenSLO v1, Sloth) against their data over a period')
    .requiredOption('--spec <path...>', 'spec files or directories (*.yaml: OpenSLO v1 SLO/SLI/DataSource, Sloth prometheus/v1)')
    .addOption(new Option('--period <period>', 'a year (2025), quarter (2025-Q3), month (2025-03) or range (2025-01-01..2025-07-01)').conflicts('last'))
    .addOption(new Option('--last <duration>', 'the last N before now (365d, 12w)'))
    .addOption(new Option('--tz <zone>', 'time zone the period and its months are cut in').default('UTC'))
    .addOption(new Option('--title <text>', 'report title').default('Service level review'))
    .action(async (opts: OutputOptions & { spec: string[]; period?: string; last?: string; tz: string; title: string }) => {
      if (!opts.period && !opts.last) throw new VigiaError('VIGIA_ERR_CONFIG', 'give --period (2025, 2025-Q3, 2025-03) or --last (365d)');
      checkTimeZone(opts.tz);
      const now = Date.now();
      const period = opts.period ? parsePeriod(opts.period, opts.tz) : parseLast(opts.last!, now, opts.tz);
      await emitReport(await makeReport({ specPaths: opts.spec, period, now, env: environment(), title: opts.title, onProgress: progress(opts.quiet) }), opts);
    });

  slo
    .command('check')
    .description('validate SLO specs (OpenSLO v1; Sloth prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, OpenSLO v1alpha) without reading any data')
    .requiredOption('--spec <path...>', 'spec files or directories')
    .action(async (opts: { spec: string[] }) => {
      const set = await loadCheckedSpecs(opts.spec, environment());
      const warnings = set.problems.filter((p) => p.severity === 'warning');
      if (warnings.length > 0) process.stderr.write(`${formatProblems(warnings)}\n`);
      process.stdout.write(`${set.slos.length} SLO(s), ${set.dataSources.length} data source(s): ok${warnings.length > 0 ? ` (${warnings.length} warning(s))` : ''}\n`);
    });

  withOutputOptions(slo.command('demo'))
    .description('generate a seeded, realistic year (2025) of deploys, outages and tickets with four objectives, and print the report over it')
    .addOption(new Option('--dir <dir>', 'write the CSV files and specs here (kept) instead of a temporary directory'))
    .addOption(new Option('--seed <n>', 'random seed (same seed, same data)').default('2025'))
    .action(async (opts: OutputOptions & { dir?: string; seed: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new VigiaError('VIGIA_ERR_CONFIG', `--seed: "${opts.seed.slice(0, 20)}" is not a non-negative integer`);
      // Loaded on demand: the generator is only for the demo.
      const { writeDemo } = await import('./demo/generate.js');
      const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'vigia-slo-demo-')));
      try {
        const say = progress(opts.quiet);
        await writeDemo(dir, { seed });
        say(`demo data and specs in ${dir}${opts.dir ? '' : ' (temporary; --dir DIR keeps them)'}`);
        const report = await makeReport({ specPaths: [dir], period: parsePeriod('2025', 'UTC'), now: Date.now(), env: {}, title: 'Demo platform: service level review', onProgress: say });
        await emitReport(report, opts);
      } finally {
        if (!opts.dir) await rm(dir, { recursive: true, force: true });
      }
    });

  slo
    .command('rules')
    .description('Prometheus recording and multi-window multi-burn-rate alert rules for SLO specs (Sloth prometheus/v1; OpenSLO v1 SLOs over Prometheus, mapped as Sloth maps OpenSLO), semantically identical to Sloth\'s')
    .requiredOption('--spec <path...>', 'spec files or directories (what Sloth reads: prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, OpenSLO v1alpha; and OpenSLO v1 with Prometheus SLIs)')
    .addOption(new Option('--period <duration>', 'SLO period the budgets and alerts are computed for (30d and 28d built in; others need --alert-windows)').default('30d'))
    .addOption(new Option('--alert-windows <dir>', 'directory of Sloth AlertWindows files (replaces the built-in 30d/28d windows)'))
    .addOption(new Option('--extra-label <name=value...>', 'label added to every recording rule').default([]))
    .addOption(new Option('--alert-style <style>', 'alert expression shape: max-without (Sloth v0.11.0 and later) or ignoring (Sloth v0.1.0-v0.10.0)').choices(['max-without', 'ignoring']).default('max-without'))
    .addOption(new Option('--out <file>', 'write the rules here (atomically) instead of stdout'))
    .action(async (opts: { spec: string[]; period: string; alertWindows?: string; extraLabel: string[]; alertStyle: AlertExprStyle; out?: string }) => {
      const periodMs = parseDuration(opts.period, '--period');
      const extraLabels = parseLabels(opts.extraLabel);
      if (periodMs < 86_400_000) process.stderr.write(`warning: --period ${opts.period} is shorter than a day; SLO periods are usually 28d or 30d (a month is 30d here, not 1m)\n`);
      const windows = opts.alertWindows ? await loadWindows(opts.alertWindows) : undefined;
      const slos: RuleSlo[] = [];
      const openSlos: RuleSlo[] = [];
      const warnings: string[] = [];
      const add = (list: RuleSlo[], s: RuleSlo, file: string): void => {
        if ([...slos, ...openSlos].some((x) => x.id === s.id)) throw new VigiaError('VIGIA_ERR_CONFIG', `${file}: SLO ${s.id} (service ${s.service}, name ${s.name}) is also defined in another spec file`);
        list.push(s);
      };
      const { sloth, other } = await classifySpecFiles(opts.spec);
      for (const file of sloth) {
        const parsed = parseSlothSpec(await readConfigFile(file, '--spec'), file);
        for (const s of parsed.slos) add(slos, s, file);
        warnings.push(...parsed.warnings);
      }
      if (other.length > 0) {
        const set = await loadCheckedSpecs(other, environment());
        warnings.push(...set.problems.filter((p) => p.severity === 'warning').map((p) => `${p.where}: ${p.message}`));
        for (const def of set.slos) {
          const r = openSloRuleSlos(def);
          if ('skipped' in r) warnings.push(r.skipped);
          else for (const s of r.slos) add(openSlos, s, def.source);
        }
      }
      if (slos.length + openSlos.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `no Prometheus SLO in ${opts.spec.join(', ')}`);
      const common = { periodMs, windows, extraLabels, alertStyle: opts.alertStyle, generatorVersion: GENERATOR_VERSION };
      const fromSloth = generateSlothRules(slos, common);
      const fromOpen = generateSlothRules(openSlos, { ...common, specFormat: 'openslo/v1' });
      if (openSlos.length > 0) warnings.push(`${openSlos.length} OpenSLO objective(s): recording rules only; page and ticket alerts are off, as Sloth does for OpenSLO (write a Sloth spec to alert)`);
      const out = { groups: [...fromSloth.groups, ...fromOpen.groups], warnings: [...fromSloth.warnings, ...fromOpen.warnings] };
      warnings.push(...out.warnings);
      slos.push(...openSlos);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      const text = rulesYaml(out.groups, [
        `Generated by vigia slo rules from ${opts.spec.join(', ')} (period ${opts.period}); Sloth compatible.`,
        'DO NOT EDIT: change the spec and generate again.',
      ]);
      if (opts.out) {
        await writeFileAtomic(opts.out, text, OUTPUT_MODE);
        const n = out.groups.reduce((a, g) => a + g.rules.length, 0);
        process.stderr.write(`${opts.out}: ${plural(n, 'rule')} in ${plural(out.groups.length, 'group')} for ${plural(slos.length, 'SLO')}\n`);
      } else {
        process.stdout.write(text);
      }
    });
}
