/** The checks every format compiler shares (one place for the LOGS_ERR_FORMAT messages). */
import { VigiaError } from '../../core/errors.js';
import { FIELD, type FormatToken } from './format-steps.js';

/** Longest format string accepted (a real LogFormat is a few hundred characters). */
export const MAX_FORMAT_LENGTH = 4096;

/** A LOGS_ERR_FORMAT error whose message quotes the format (shortened) and says what is wrong. */
export function formatError(spec: string, what: string): VigiaError {
  const shown = spec.length > 120 ? `${spec.slice(0, 117)}...` : spec;
  return new VigiaError('LOGS_ERR_FORMAT', `${what} in ${JSON.stringify(shown)}`);
}

/**
 * Decodes the escapes a format carries when copied from httpd.conf or nginx.conf (`\"`, `\\`, `\t`, `\n`),
 * so `%h \"%r\"` and `%h "%r"` are the same format.
 */
export function unescapeFormat(spec: string): string {
  if (!spec.includes('\\')) return spec;
  return spec.replace(/\\(["\\tn])/g, (_all, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

/** Throws unless the tokens read a client address and a time: without them no record means anything. */
export function requireClientAndTime(spec: string, tokens: readonly FormatToken[]): void {
  const kinds = new Set(tokens.flatMap((t) => ('kind' in t ? [t.kind] : [])));
  if (!kinds.has(FIELD.client)) throw formatError(spec, 'no client address field (%h, %a, $remote_addr)');
  const times = [FIELD.timeClf, FIELD.timeIso, FIELD.timeSec, FIELD.timeMsec, FIELD.timeUsec, FIELD.timeStrftime];
  if (!times.some((k) => kinds.has(k))) throw formatError(spec, 'no time field (%t, $time_local, $time_iso8601, $msec)');
}
