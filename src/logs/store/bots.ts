/**
 * The crawler list behind the overview's `bots` panel: a user agent is a bot when it contains one of these
 * tokens, compared case-insensitively. One list for every engine: the JS test reference uses isBot(), SQL
 * engines bind BOT_PATTERN as a parameter (an RE2 regular expression, which DuckDB's regexp_matches and
 * ClickHouse's match() both speak), so no engine restates the list and none splices it into query text.
 */

/**
 * Lower-case tokens of common crawlers, monitors and scripted clients (GoAccess counts the same families as
 * crawlers). Only letters, digits, '-' and '_' so BOT_PATTERN needs no escaping.
 */
export const BOT_TOKENS: readonly string[] = Object.freeze([
  'bot', // googlebot, bingbot, yandexbot, applebot, duckduckbot, ahrefsbot, semrushbot, gptbot, ...
  'crawler',
  'spider', // baiduspider, sogou spider
  'slurp', // Yahoo
  'facebookexternalhit',
  'mediapartners-google',
  'adsbot-google',
  'feedfetcher',
  'ia_archiver',
  'archive-it',
  'curl',
  'wget',
  'python-requests',
  'python-urllib',
  'go-http-client',
  'java',
  'okhttp',
  'libwww-perl',
  'httpclient',
  'headlesschrome',
  'phantomjs',
  'pingdom',
  'uptimerobot',
  'statuscake',
  'monitoring',
  'scanner',
  'nikto',
  'sqlmap',
  'masscan',
  'zgrab',
]);

/** BOT_TOKENS as one case-insensitive RE2 expression, for engines that test agents in SQL (bind it, never splice). */
export const BOT_PATTERN = `(?i)(${BOT_TOKENS.join('|')})`;

const LOWER_TOKENS = BOT_TOKENS;

/** True when `agent` contains a BOT_TOKENS token (ASCII case-insensitive); '' is not a bot. */
export function isBot(agent: string): boolean {
  if (agent === '') return false;
  const a = agent.toLowerCase();
  for (const t of LOWER_TOKENS) if (a.includes(t)) return true;
  return false;
}
