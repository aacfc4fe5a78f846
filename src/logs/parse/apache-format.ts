/**
 * Apache `LogFormat` strings (mod_log_config) to format tokens. Understood: %h %a %A %l %u %t %{fmt}t
 * (the CLF default, any strftime pattern of %d %e %m %b %y %Y %H %M %S %z %T %F %D %R, sec, msec, usec,
 * begin:/end: prefixes; msec_frac/usec_frac read and ignored) %r %m %U %q %H %>s %<s %s %b %B %O %I %S
 * %{Referer}i %{User-Agent}i %{Host}i (any other %{X}i, %{X}e, %{X}n, %{X}o, %{X}C, %{X}^ti, %{X}^to
 * read and ignored) %D %T %{ms|us|s}T %v %V %p %{X}p %P %{X}P %X %k %L %f %R %R and status conditions
 * (%400,501{X}i, %!200s). Anything else is LOGS_ERR_FORMAT naming the directive.
 */
import { FIELD, type FieldKind, type FormatToken } from './format-steps.js';
import { formatError, requireClientAndTime, unescapeFormat } from './format-errors.js';
import { STRFTIME_CONVERSIONS, expandStrftime } from './time-reader.js';

/** Directives without an argument (or whose argument does not change the field) -> field. */
const SIMPLE: Readonly<Record<string, FieldKind>> = {
  h: FIELD.client, a: FIELD.client, A: FIELD.skip, l: FIELD.skip, u: FIELD.user,
  r: FIELD.request, m: FIELD.method, U: FIELD.path, q: FIELD.queryWithMark, H: FIELD.protocol,
  s: FIELD.status, b: FIELD.bytes, B: FIELD.bytes, O: FIELD.bytesSent, I: FIELD.skip, S: FIELD.skip,
  D: FIELD.durationUs, v: FIELD.vhost, V: FIELD.vhost, p: FIELD.skip, P: FIELD.skip, X: FIELD.skip,
  k: FIELD.skip, L: FIELD.skip, f: FIELD.skip, R: FIELD.skip, e: FIELD.skip, n: FIELD.skip,
  o: FIELD.skip, C: FIELD.skip, i: FIELD.skip,
};

/** The token of `%{arg}t`. */
function timeToken(spec: string, arg: string): FormatToken[] {
  const fmt = arg.replace(/^(begin|end):/, '');
  if (fmt === 'sec') return [{ kind: FIELD.timeSec }];
  if (fmt === 'msec') return [{ kind: FIELD.timeMsec }];
  if (fmt === 'usec') return [{ kind: FIELD.timeUsec }];
  if (fmt === 'msec_frac' || fmt === 'usec_frac') return [{ kind: FIELD.skip }];
  const pattern = expandStrftime(fmt);
  for (let i = pattern.indexOf('%'); i >= 0; i = pattern.indexOf('%', i + 2)) {
    const c = pattern[i + 1];
    if (c === undefined || !STRFTIME_CONVERSIONS.includes(c)) throw formatError(spec, `unsupported time conversion %${c ?? ''} in %{${arg}}t`);
  }
  if (pattern === '%d/%b/%Y:%H:%M:%S %z') return [{ kind: FIELD.timeClf }];
  return [{ kind: FIELD.timeStrftime, pattern }];
}

/** The token(s) of one directive. */
function directive(spec: string, letter: string, arg: string | undefined, text: string): FormatToken[] {
  if (letter === 't') return arg === undefined ? [{ literal: '[' }, { kind: FIELD.timeClf }, { literal: ']' }] : timeToken(spec, arg);
  if (letter === 'T') {
    const unit = arg ?? 's';
    if (unit === 's') return [{ kind: FIELD.durationSec }];
    if (unit === 'ms') return [{ kind: FIELD.durationMs }];
    if (unit === 'us') return [{ kind: FIELD.durationUs }];
    throw formatError(spec, `unknown unit in ${text}`);
  }
  if (letter === 'i' && arg !== undefined) {
    const header = arg.toLowerCase();
    if (header === 'referer' || header === 'referrer') return [{ kind: FIELD.referrer }];
    if (header === 'user-agent') return [{ kind: FIELD.agent }];
    if (header === 'host') return [{ kind: FIELD.hostHeader }];
    return [{ kind: FIELD.skip }];
  }
  const kind = SIMPLE[letter];
  if (kind === undefined) throw formatError(spec, `unknown Apache directive ${text}`);
  return [{ kind }];
}

/** Tokens of an Apache LogFormat string; throws LOGS_ERR_FORMAT on an unknown directive. */
export function apacheFormatTokens(rawSpec: string): FormatToken[] {
  const spec = unescapeFormat(rawSpec);
  const tokens: FormatToken[] = [];
  let literal = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c !== '%') {
      literal += c;
      continue;
    }
    const start = i;
    i++;
    if (spec[i] === '%') {
      literal += '%';
      continue;
    }
    // Modifiers: < or > (original/final request), ! and a status list (conditional logging).
    while (i < spec.length && /[<>!0-9,]/.test(spec[i]!)) i++;
    let arg: string | undefined;
    if (spec[i] === '{') {
      const close = spec.indexOf('}', i);
      if (close < 0) throw formatError(rawSpec, `unclosed %{ at column ${start + 1}`);
      arg = spec.slice(i + 1, close);
      i = close + 1;
    }
    // %{VAR}^ti and %{VAR}^to: request and response trailers.
    if (spec[i] === '^' && (spec.startsWith('^ti', i) || spec.startsWith('^to', i))) {
      i += 2;
      if (literal) tokens.push({ literal });
      literal = '';
      tokens.push({ kind: FIELD.skip });
      continue;
    }
    const letter = spec[i];
    const text = spec.slice(start, i + 1);
    if (letter === undefined) throw formatError(rawSpec, `a lone % at the end`);
    if (literal) tokens.push({ literal });
    literal = '';
    tokens.push(...directive(rawSpec, letter, arg, text));
  }
  if (literal) tokens.push({ literal });
  requireClientAndTime(rawSpec, tokens);
  return tokens;
}
