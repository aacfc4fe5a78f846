/** The formats known by name, as the Apache LogFormat / nginx log_format strings their servers ship. */

/**
 * Named formats: Apache's `common`, `combined`, `vhost_combined` (httpd.conf defaults), nginx's predefined
 * `combined` (as `nginx`) and the `main` format of its default nginx.conf. `json` is not a string format:
 * see NGINX_JSON_LOG_FORMAT.
 */
export const NAMED_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  common: '%h %l %u %t "%r" %>s %b',
  combined: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
  nginx: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
  main: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"',
});

/** Every name compileLogFormat accepts, for help texts and error messages. */
export const FORMAT_NAMES: readonly string[] = Object.freeze([...Object.keys(NAMED_FORMATS), 'json']);

/**
 * The nginx log_format the `json` format documents (one JSON object per line, values as strings, as
 * `escape=json` writes them). json-parser.ts reads these keys and the alternatives it lists.
 */
export const NGINX_JSON_LOG_FORMAT =
  'log_format vigia_json escape=json \'{"time_iso8601":"$time_iso8601","remote_addr":"$remote_addr",' +
  '"remote_user":"$remote_user","request":"$request","status":"$status","body_bytes_sent":"$body_bytes_sent",' +
  '"request_time":"$request_time","http_referer":"$http_referer","http_user_agent":"$http_user_agent","host":"$host"}\';';
