/**
 * `vigia turno check`: load a turno service with fresh ids, record every request, and verify the
 * history (unique, consecutive up to unknown outcomes, linearizable). Prints one verdict line (or the
 * full verdict as JSON) and sets process.exitCode = 1 on any violation. Options are parsed here, at
 * the edge; the load client and verifier load lazily in the action.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { z } from 'zod';
import { probeServer } from '../../core/client-errors.js';
import { environment, optionNames, parseConfig, type ConfigNames } from '../../core/config.js';
import { parseClientToken, readClientToken } from '../../core/config-file.js';
import { pluralWord } from '../../core/plural.js';

/** Default target: a local turno on its default port. */
export const DEFAULT_CHECK_URL = 'http://127.0.0.1:7017';
/** Requests when neither --requests nor --duration is given. */
export const DEFAULT_CHECK_REQUESTS = 10_000;
/** Hard cap on requests (also for --duration runs): every request is kept in memory until the verdict. */
export const MAX_CHECK_REQUESTS = 5_000_000;

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const schema = z
  .object({
    url: z
      .string()
      .trim()
      .transform((text, ctx) => {
        let u: URL;
        try {
          u = new URL(text);
        } catch {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not a URL (e.g. ${DEFAULT_CHECK_URL})` });
          return z.NEVER;
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}": only http:// and https:// URLs are supported` });
          return z.NEVER;
        }
        if (u.search || u.hash || u.username || u.password) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}": give the base URL only (no query, fragment or credentials; use --token-file)` });
          return z.NEVER;
        }
        return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
      }),
    ids: wholeNumber(1, 100_000),
    clients: wholeNumber(1, 10_000),
    requests: wholeNumber(1, MAX_CHECK_REQUESTS).optional(),
    duration: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds')
      .transform(Number)
      .pipe(z.number().positive('must be more than 0').max(86_400, 'must be at most 86400 (one day)'))
      .optional(),
    timeout: wholeNumber(1, 600_000),
    tokenFile: z.string().min(1).optional(),
    json: z.boolean(),
    progress: z.boolean(),
  })
  .strict();

/** Parsed, frozen `turno check` options. */
export type CheckConfig = Readonly<z.output<typeof schema>>;

/** Validate raw `turno check` options (strings as given on the command line). Throws VIGIA_ERR_CONFIG naming each field by `names` (the flags typed). */
export function parseCheckConfig(raw: Record<string, unknown>, names: ConfigNames = {}): CheckConfig {
  return parseConfig(schema, raw, names);
}

/** Attach `vigia turno check` under `turno`. */
export function registerCheck(turno: Command): void {
  turno
    .command('check')
    .description('load a turno service with fresh ids, record every request, and verify the history (unique, consecutive, linearizable)')
    .addOption(new Option('--url <url>', 'base URL of the turno service').default(DEFAULT_CHECK_URL))
    .addOption(new Option('--ids <k>', 'fresh ids (check-<random>-<k>) to spread the requests over').default('10'))
    .addOption(new Option('--clients <c>', 'concurrent clients (and keep-alive connections)').default('50'))
    .addOption(new Option('--requests <n>', `total requests (default ${DEFAULT_CHECK_REQUESTS} unless --duration is given; at most ${MAX_CHECK_REQUESTS})`))
    .addOption(new Option('--duration <seconds>', 'stop starting requests after this long (with --requests: whichever comes first)'))
    .addOption(new Option('--timeout <ms>', "per-request deadline; a request past it counts as 'unknown' and is never retried").default('5000'))
    .addOption(new Option('--token-file <path>', 'file holding the bearer token (else env VIGIA_TOKEN)'))
    .addOption(new Option('--json', 'print the full verdict as JSON instead of one line').default(false))
    .addOption(new Option('--progress', 'print progress to stderr every second (default: only when stderr is a terminal)').default(false))
    .addHelpText(
      'after',
      `
Outcomes: 200 with a valid body is ok; 4xx is rejected (consumed nothing); 5xx, timeouts, resets and
unparseable answers are unknown (may have consumed a number, so each may explain one gap).
First it asks /readyz (the service and its store answer; no number is taken); when that fails, the
command stops there (one line, status 2).
Exit status: 0 PASS, 1 a violation (or no request succeeded), 2 bad arguments, or the service
unreachable or refusing.

Examples:
  vigia turno check --url http://127.0.0.1:7017 --ids 10 --clients 50 --requests 20000
  VIGIA_TOKEN=... vigia turno check --url https://turno.example:7017 --duration 60 --json`,
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const config = parseCheckConfig({
        url: opts.url,
        ids: opts.ids,
        clients: opts.clients,
        requests: opts.requests,
        duration: opts.duration,
        timeout: opts.timeout,
        tokenFile: opts.tokenFile,
        json: Boolean(opts.json),
        progress: Boolean(opts.progress),
      }, optionNames(cmd));
      const token = await loadToken(config.tokenFile, environment().VIGIA_TOKEN);
      // Before the load, without taking a number: a service that cannot be reached or whose store is
      // down (/readyz) ends with one catalogued line and status 2 instead of a FAIL verdict over
      // thousands of identical failures. (A refused token shows in the verdict: every request rejected.)
      await probeServer(config.url, '/readyz', undefined, config.timeout);
      const [{ runLoad }, { verifyHistory, verdictPasses, formatVerdict, describeViolations }] = await Promise.all([import('./load-client.js'), import('./history.js')]);

      const durationMs = config.duration === undefined ? undefined : config.duration * 1000;
      const requests = config.requests ?? (durationMs === undefined ? DEFAULT_CHECK_REQUESTS : MAX_CHECK_REQUESTS);
      const tty = process.stderr.isTTY === true;
      const showProgress = config.progress || tty;
      const result = await runLoad({
        url: config.url,
        ids: config.ids,
        clients: config.clients,
        requests,
        ...(durationMs === undefined ? {} : { durationMs }),
        timeoutMs: config.timeout,
        ...(token === undefined ? {} : { token }),
        ...(showProgress
          ? {
              onProgress: (p) => {
                const of = p.planned === undefined || p.planned >= MAX_CHECK_REQUESTS ? '' : `/${p.planned}`;
                const line = `turno check: ${(p.elapsedMs / 1000).toFixed(0)}s ${p.done}${of} ${pluralWord(of === '' ? p.done : p.planned!, 'request')} ok=${p.ok} unknown=${p.unknown} rejected=${p.rejected} rps=${Math.round(p.rps)}`;
                process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
              },
            }
          : {}),
      });
      if (showProgress && tty) process.stderr.write('\r\x1b[K');

      const verdict = verifyHistory(result.records);
      const s = result.stats;
      const pass = verdictPasses(verdict);
      if (config.json) {
        const report = { pass, ...verdict, url: config.url, clients: config.clients, ids: result.ids, stats: s };
        process.stdout.write(`${JSON.stringify(report, jsonNumbers, 2)}\n`);
      } else {
        process.stdout.write(`${formatVerdict(verdict, s)}\n`);
        for (const line of describeViolations(verdict)) process.stderr.write(`turno check: ${line}\n`);
        if (!pass) {
          const reasons = s.errors.slice(0, 5).map((e) => `${e.reason} x${e.count}`);
          if (reasons.length) process.stderr.write(`turno check: non-ok answers: ${reasons.join(', ')}\n`);
        }
      }
      if (verdict.ok && !pass) process.stderr.write(`turno check: no request to ${config.url} succeeded, so nothing was verified\n`);
      if (!pass) process.exitCode = 1;
    });
}

async function loadToken(tokenFile: string | undefined, envToken: string | undefined): Promise<string | undefined> {
  if (tokenFile !== undefined) {
    return readClientToken(tokenFile, '--token-file');
  }
  if (envToken !== undefined && envToken !== '') return parseClientToken(envToken, 'VIGIA_TOKEN');
  return undefined;
}

/** JSON has no NaN: latency figures of a run without ok requests print as null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
