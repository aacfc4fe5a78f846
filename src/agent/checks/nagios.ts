/**
 * The Nagios plugin convention, pure: how a finished check process becomes a report state and a
 * one-line output, how `{name}` placeholders in a check's args are filled, and which checks of a
 * bundle a host runs. No I/O here; check-runner.ts does the spawning.
 */
import { PLACEHOLDER_RE, type CheckSpec } from '../../core/contracts/bundle.js';
import type { ReportCheck } from '../../core/contracts/host-report.js';
import { VigiaError } from '../../core/errors.js';
import type { ProcessResult } from '../actions/runner.js';

/** Most UTF-8 bytes of a reported check output (the report contract's limit). */
export const MAX_REPORTED_OUTPUT_BYTES = 1024;

/** A check's state as reported. */
export type CheckState = ReportCheck['state'];

/** What the state mapping needs of a finished process (a ProcessResult fits). */
export type CheckExit = Pick<ProcessResult, 'exitCode' | 'signal' | 'timedOut' | 'stdout' | 'stderr' | 'spawnError'>;

const STATE_BY_EXIT: readonly CheckState[] = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

/**
 * First line of `output` (up to the first `\n`, a trailing `\r` and trailing blanks dropped), NUL
 * characters removed, cut to at most `maxBytes` UTF-8 bytes without splitting a character. Pure.
 */
export function firstLine(output: string, maxBytes = MAX_REPORTED_OUTPUT_BYTES): string {
  const nl = output.indexOf('\n');
  const line = (nl === -1 ? output : output.slice(0, nl)).replaceAll('\u0000', '').trimEnd();
  if (Buffer.byteLength(line, 'utf8') <= maxBytes) return line;
  let bytes = 0;
  let end = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return line.slice(0, end);
}

function secondsText(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Map a finished check process to its state and reported output (Nagios plugin convention): exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, with the plugin's first output line (stdout, or stderr
 * when stdout is empty). Anything else is UNKNOWN with an output saying why: a spawn failure
 * ("UNKNOWN: could not start: ENOENT"), a timeout ("UNKNOWN: timed out after 10 s", `timeoutMs`
 * naming the limit), a signal ("UNKNOWN: killed by SIGKILL") or another exit code ("UNKNOWN: exit
 * code 7: <first line>"). A timeout wins over the exit code the killed process left. Pure.
 */
export function stateFromExit(result: CheckExit, timeoutMs?: number): { state: CheckState; output: string } {
  const plugin = firstLine(result.stdout) || firstLine(result.stderr);
  const unknown = (why: string): { state: CheckState; output: string } => ({ state: 'UNKNOWN', output: firstLine(plugin ? `UNKNOWN: ${why}: ${plugin}` : `UNKNOWN: ${why}`) });
  if (result.spawnError !== undefined) return { state: 'UNKNOWN', output: firstLine(`UNKNOWN: could not start: ${result.spawnError}`) };
  if (result.timedOut) return unknown(timeoutMs !== undefined ? `timed out after ${secondsText(timeoutMs)}` : 'timed out');
  if (result.exitCode === null) return unknown(`killed by ${result.signal ?? 'a signal'}`);
  const state = STATE_BY_EXIT[result.exitCode];
  if (state === undefined) return unknown(`exit code ${result.exitCode}`);
  return { state, output: plugin };
}

/**
 * Replace every `{key}` placeholder in `args` with `thresholds[key]`, in one pass (a value that
 * itself looks like a placeholder is not expanded again). Braces around anything that is not a
 * threshold-style key (`{print $1}`, `{A}`) are left as they are. Throws BUNDLE_ERR_INVALID naming
 * the arg when a placeholder has no threshold, so a bad bundle is refused before anything runs. Pure.
 */
export function fillArgs(args: readonly string[], thresholds: Readonly<Record<string, string>>, where = 'args'): string[] {
  return args.map((arg, i) =>
    arg.replace(PLACEHOLDER_RE, (_m, key: string) => {
      if (!Object.hasOwn(thresholds, key)) throw new VigiaError('BUNDLE_ERR_INVALID', `${where}[${i}]: unknown placeholder {${key}} (no such threshold)`);
      return thresholds[key]!;
    }),
  );
}

/** The checks whose `where` tags all equal the host's tags (an empty `where` matches every host), in order. Pure. */
export function checksForHost<T extends Pick<CheckSpec, 'where'>>(checks: readonly T[], hostTags: Readonly<Record<string, string>>): T[] {
  return checks.filter((c) => Object.entries(c.where).every(([k, v]) => Object.hasOwn(hostTags, k) && hostTags[k] === v));
}
