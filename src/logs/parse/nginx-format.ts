/**
 * nginx `log_format` strings to format tokens. Understood: $remote_addr $realip_remote_addr $remote_user
 * $time_local $time_iso8601 $msec $request $request_method $request_uri $uri $document_uri $args
 * $query_string $server_protocol $status $body_bytes_sent $bytes_sent $http_referer $http_user_agent
 * $request_time $host $server_name $http_host; every other variable ($upstream_response_time,
 * $http_x_forwarded_for, ...) is read and ignored, as the record has no place for it. `${name}` works too.
 */
import { FIELD, type FieldKind, type FormatToken } from './format-steps.js';
import { requireClientAndTime, unescapeFormat } from './format-errors.js';

/** nginx variable -> field; absent means skipped. */
const VARIABLES: Readonly<Record<string, FieldKind>> = {
  remote_addr: FIELD.client,
  realip_remote_addr: FIELD.client,
  remote_user: FIELD.user,
  time_local: FIELD.timeClf,
  time_iso8601: FIELD.timeIso,
  msec: FIELD.timeSec,
  request: FIELD.request,
  request_method: FIELD.method,
  request_uri: FIELD.pathAndQuery,
  uri: FIELD.path,
  document_uri: FIELD.path,
  args: FIELD.args,
  query_string: FIELD.args,
  server_protocol: FIELD.protocol,
  status: FIELD.status,
  body_bytes_sent: FIELD.bytes,
  bytes_sent: FIELD.bytesSent,
  http_referer: FIELD.referrer,
  http_user_agent: FIELD.agent,
  request_time: FIELD.durationSec,
  host: FIELD.vhost,
  // Lower priority than $host: the vhost only when the format has no $host.
  server_name: FIELD.hostHeader,
  http_host: FIELD.hostHeader,
};

/** The field an nginx variable fills (FIELD.skip for variables the record has no place for). */
export function nginxVariableField(name: string): FieldKind {
  return Object.hasOwn(VARIABLES, name) ? VARIABLES[name]! : FIELD.skip;
}

/** Tokens of an nginx log_format string; throws LOGS_ERR_FORMAT when it has no client or no time. */
export function nginxFormatTokens(rawSpec: string): FormatToken[] {
  const spec = unescapeFormat(rawSpec);
  const tokens: FormatToken[] = [];
  const re = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
  let from = 0;
  for (let m = re.exec(spec); m; m = re.exec(spec)) {
    if (m.index > from) tokens.push({ literal: spec.slice(from, m.index) });
    tokens.push({ kind: nginxVariableField((m[1] ?? m[2])!) });
    from = m.index + m[0].length;
  }
  if (from < spec.length) tokens.push({ literal: spec.slice(from) });
  requireClientAndTime(rawSpec, tokens);
  return tokens;
}
