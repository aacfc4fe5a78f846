/**
 * compileLogFormat: a format name, an Apache LogFormat string or an nginx log_format string -> a LineParser.
 * The one entry point for every role that parses access logs (collector, import, pipe, syslog).
 */
import type { LineParser } from './line-parser.js';
import { apacheFormatTokens } from './apache-format.js';
import { MAX_FORMAT_LENGTH, formatError } from './format-errors.js';
import { stepsFromTokens } from './format-steps.js';
import { JsonLineParser } from './json-parser.js';
import { FORMAT_NAMES, NAMED_FORMATS } from './named-formats.js';
import { nginxFormatTokens } from './nginx-format.js';
import { TextLineParser, type ParserOptions } from './text-parser.js';

const APACHE_DIRECTIVE = /%[<>!0-9,]*(\{[^}]*\})?[a-zA-Z^]/;
const NGINX_VARIABLE = /\$\{?[A-Za-z_]/;

/**
 * Compiles `spec`: a name from FORMAT_NAMES (`combined`, `json`, ...), else an Apache LogFormat string
 * (it holds a `%` directive), else an nginx log_format string (it holds a `$variable`). Throws VigiaError
 * LOGS_ERR_FORMAT naming the problem (unknown name or directive, no client or time field, over 4096
 * characters). The parser's `format` is `spec` as given. Each call returns a new parser (its time cache is its own).
 */
export function compileLogFormat(spec: string, options: ParserOptions = {}): LineParser {
  if (spec.length > MAX_FORMAT_LENGTH) throw formatError(spec, `a format longer than ${MAX_FORMAT_LENGTH} characters`);
  if (spec === 'json') return new JsonLineParser(options);
  const named = Object.hasOwn(NAMED_FORMATS, spec) ? NAMED_FORMATS[spec] : undefined;
  const string = named ?? spec;
  // Apache by its directives, nginx by its variables; a string with both (rare) is nginx when it reads
  // $remote_addr, as nginx formats always do.
  const apache = APACHE_DIRECTIVE.test(string);
  const nginx = NGINX_VARIABLE.test(string);
  let tokens;
  if (apache && !(nginx && string.includes('$remote_addr'))) tokens = apacheFormatTokens(string);
  else if (nginx) tokens = nginxFormatTokens(string);
  else throw formatError(spec, `an unknown format name (known: ${FORMAT_NAMES.join(', ')}; or an Apache LogFormat or nginx log_format string)`);
  return new TextLineParser(spec, stepsFromTokens(tokens), options);
}
