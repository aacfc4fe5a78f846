/**
 * Redaction of secrets from what Vigía shows or logs (pure, table-driven): command lines (the agent's
 * `/v1/processes`), URLs in client error messages, request targets in server log lines. One definition,
 * so a rule added here holds for every place that shows a command line or a URL.
 *
 * The command-line rules over-redact rather than leak: `--token-cache=/tmp/x` loses its value too. A
 * caller that must see everything is granted it separately (the agent's `cmdline` scope).
 */

/** What replaces a secret value. */
export const REDACTED = '***';

/** Name segments that mark a value as a secret (`--db-password`, `MYSQL_PWD`, `key=`, `X-Api-Key`). */
const SECRET_SEGMENTS = new Set(['password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'secrets', 'token', 'apikey', 'key', 'credential', 'credentials', 'auth', 'authorization', 'sig', 'signature']);
/** Joined-name substrings that mark a secret even without separators (`--dbpassword`, `APITOKEN`). */
const SECRET_SUBSTRINGS = ['password', 'passwd', 'secret', 'token', 'apikey', 'accesskey', 'privatekey'];
/** A name ending in one of these names where a secret lives, not the secret (`--password-file=/run/s`). */
const LOCATION_SEGMENTS = new Set(['file', 'files', 'path', 'dir', 'env']);

/**
 * True when an option, variable or parameter named `name` (dashes already stripped or not) holds a
 * secret: a segment (split on `-`, `_`, `.`) is one of SECRET_SEGMENTS, or the name contains one of
 * SECRET_SUBSTRINGS, unless its last segment says it names a file or directory.
 */
export function isSecretName(name: string): boolean {
  const lower = name.replace(/^-+/, '').toLowerCase();
  if (lower === '') return false;
  const segments = lower.split(/[-_.]+/).filter(Boolean);
  if (segments.length > 1 && LOCATION_SEGMENTS.has(segments[segments.length - 1]!)) return false;
  const joined = segments.join('');
  return segments.some((s) => SECRET_SEGMENTS.has(s)) || SECRET_SUBSTRINGS.some((s) => joined.includes(s));
}

/**
 * Programs whose one-letter options carry secrets. `attached`: `-pSECRET`; `separate`: `-p SECRET`.
 * mysql's `-p SECRET` is a prompt and a database name, so only the attached form is a secret there.
 * `userinfo`: the value is `user:password` and only what follows the first `:` is secret.
 */
interface ShortSecretFlag {
  readonly program: RegExp;
  readonly flag: string;
  readonly attached: boolean;
  readonly separate: boolean;
  readonly userinfo?: boolean;
}

/** The table of program-specific short options (argv[0]'s basename is matched). */
export const SHORT_SECRET_FLAGS: readonly ShortSecretFlag[] = Object.freeze([
  // mysql, mysqldump, mysqladmin, mariadb-dump, ... and Percona Toolkit (pt-online-schema-change ...).
  { program: /^(mysql|mariadb)[a-z_-]*$/, flag: 'p', attached: true, separate: false },
  { program: /^pt-[a-z-]+$/, flag: 'p', attached: true, separate: true },
  { program: /^sshpass$/, flag: 'p', attached: true, separate: true },
  { program: /^redis-cli$/, flag: 'a', attached: false, separate: true },
  { program: /^(curl|wget)$/, flag: 'u', attached: true, separate: true, userinfo: true },
]);

const INNER_ASSIGNMENT = /(^|[\s?&;,'"(])(-{0,2}[A-Za-z][A-Za-z0-9_.-]*)=([^\s&;,'")]*)/g;
/** A secret name's value goes; another name's value is searched again (`--url=https://h/?token=x`). */
function redactInnerAssignment(_m: string, before: string, name: string, value: string): string {
  if (isSecretName(name) && value !== '') return `${before}${name}=${REDACTED}`;
  return `${before}${name}=${value.replace(INNER_ASSIGNMENT, redactInnerAssignment)}`;
}

/**
 * Secrets recognised by their shape wherever they appear in an argument (a `-e` script, a DSN, a
 * header): replacements applied in order to every argument after the option rules.
 */
export const SECRET_SHAPES: readonly { readonly name: string; readonly pattern: RegExp; readonly replace: string | ((...m: string[]) => string) }[] = Object.freeze([
  // scheme://user:password@host: the password (also in DSNs inside a longer argument).
  { name: 'url userinfo', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, replace: `$1:${REDACTED}@` },
  // Authorization / Proxy-Authorization header values (curl -H 'Authorization: Bearer ...').
  { name: 'authorization header', pattern: /\b((?:proxy-)?authorization\s*:\s*)[^\s'"]+(?:\s+[^\s'"]+)?/gi, replace: `$1${REDACTED}` },
  { name: 'bearer credentials', pattern: /\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1 ${REDACTED}` },
  // name=value pairs inside a longer argument: URL queries (`?token=...&`), DSNs (`;Password=...`), env lists.
  { name: 'secret name=value inside an argument', pattern: INNER_ASSIGNMENT, replace: redactInnerAssignment },
  // AWS access key ids (long-term AKIA, temporary ASIA), GitHub, Slack and GitLab tokens, JWTs.
  { name: 'aws access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  { name: 'github token', pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, replace: REDACTED },
  { name: 'gitlab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/g, replace: REDACTED },
  { name: 'slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, replace: REDACTED },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
]);

/** `--name=value`, `-name=value` or `NAME=value` (env-style) as a whole argument. */
const WHOLE_ASSIGNMENT = /^(-{0,2}[A-Za-z][A-Za-z0-9_.-]*)=([\s\S]*)$/;
/** A long option without a value (`--password`, `-password`): its value may be the next argument. */
const BARE_OPTION = /^-{1,2}([A-Za-z][A-Za-z0-9_.-]*)$/;
/** `--password secret` inside one argument (a process that rewrote its title joins its argv with spaces). */
const INLINE_SEPARATE = /(^|\s)(-{1,2}[A-Za-z][A-Za-z0-9_.-]*)(\s+)(?!-)(\S+)/g;

/**
 * A command line's arguments with secret values replaced by REDACTED (pure; the array length is kept).
 * Rules, in order: program-specific short options (SHORT_SECRET_FLAGS, by argv[0]'s basename); a whole
 * `name=value` argument whose name is a secret (isSecretName) loses all of its value; a bare secret
 * option (`--password`) takes the next argument as its value unless that one is an option too; then the
 * SECRET_SHAPES anywhere inside every argument.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const program = (argv[0] ?? '').split('/').pop() ?? '';
  const shorts = SHORT_SECRET_FLAGS.filter((f) => f.program.test(program));
  const out: string[] = [];
  let nextIs: 'secret' | 'userinfo' | undefined;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    const pending = nextIs;
    nextIs = undefined;
    if (i > 0 && pending !== undefined) {
      out.push(pending === 'userinfo' ? redactUserinfo(arg) : REDACTED);
      continue;
    }
    if (i > 0) {
      const short = shorts.find((f) => arg.startsWith(`-${f.flag}`) && !arg.startsWith('--'));
      if (short && arg === `-${short.flag}`) {
        if (short.separate) nextIs = short.userinfo ? 'userinfo' : 'secret';
      } else if (short && short.attached && arg.length > 2) {
        arg = `-${short.flag}${short.userinfo ? redactUserinfo(arg.slice(2)) : REDACTED}`;
      } else {
        const whole = WHOLE_ASSIGNMENT.exec(arg);
        if (whole && isSecretName(whole[1]!)) arg = whole[2] === '' ? arg : `${whole[1]}=${REDACTED}`;
        const bare = BARE_OPTION.exec(arg);
        if (bare && isSecretName(bare[1]!) && i + 1 < argv.length && !/^-{1,2}[A-Za-z]/.test(argv[i + 1]!)) nextIs = 'secret';
      }
    }
    // argv[0] included: a process that rewrote its title has its whole command line there.
    if (/\s/.test(arg)) arg = arg.replace(INLINE_SEPARATE, (m, before: string, opt: string, gap: string) => (isSecretName(opt) ? `${before}${opt}${gap}${REDACTED}` : m));
    out.push(redactShapes(arg));
  }
  return out;
}

/** `user:password` -> `user:***` (curl -u); a value without `:` is left (curl prompts for the password). */
function redactUserinfo(value: string): string {
  const colon = value.indexOf(':');
  return colon === -1 ? value : `${value.slice(0, colon)}:${REDACTED}`;
}

/** Applies SECRET_SHAPES to one string (pure). */
export function redactShapes(text: string): string {
  let s = text;
  for (const shape of SECRET_SHAPES) s = s.replace(shape.pattern, shape.replace as string);
  return s;
}

/**
 * A URL for an error message or a log line: the password of `user:password@` and every query value
 * replaced by REDACTED (parameter names kept: they say what was sent, not what it was), the fragment
 * dropped. With `query: 'secret-names'` only values of parameters named like secrets (isSecretName:
 * libpq's `?password=`) go, for configuration URLs whose other parameters help (`sslmode=require`).
 * Text that is not a URL is returned with the same rules applied as far as they match.
 */
export function redactUrl(url: string, opts: { readonly query?: 'all' | 'secret-names' } = {}): string {
  const every = opts.query !== 'secret-names';
  const hash = url.indexOf('#');
  const noHash = hash === -1 ? url : url.slice(0, hash);
  const q = noHash.indexOf('?');
  const base = (q === -1 ? noHash : noHash.slice(0, q)).replace(/^([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/i, `$1:${REDACTED}@`);
  if (q === -1) return base;
  const names = noHash
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      if (eq === -1) return every ? REDACTED : p;
      return every || isSecretName(safeDecode(p.slice(0, eq))) ? `${p.slice(0, eq)}=${REDACTED}` : p;
    });
  return `${base}?${names.join('&')}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * The path of a request target (`/v1/processes?token=x` -> `/v1/processes`), at most `max` characters,
 * for server log lines: a query may carry a token a client put there by mistake, and logs are read by
 * more people than the API.
 */
export function requestPath(url: string | undefined, max = 200): string {
  const u = url ?? '';
  const q = u.search(/[?#]/);
  return (q === -1 ? u : u.slice(0, q)).slice(0, max);
}

/**
 * Every URL inside `text` through redactUrl: for lines that quote a URL built or thrown by someone else
 * (undici's "Request cannot be constructed from a URL that includes credentials: http://u:p@h/").
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (u) => redactUrl(u));
}
