/**
 * The `--url` a user typed, as the store keeps URLs: a path without its query string (AccessRecord.url).
 * People paste whole links (`https://shop.example/cart?id=3`); the scheme, host and query are dropped and a
 * note says so. Pure.
 */
import { MAX_QUERY_URL } from '../../core/contracts/logs-query.js';
import { VigiaError } from '../../core/errors.js';

/** Longest --url accepted (the operator API's bound). */
export const MAX_URL_ARG = MAX_QUERY_URL;

/** The path to ask about, and a note for stderr when it differs from what was typed. */
export function normaliseUrlArg(typed: string, flag = '--url'): { readonly url: string; readonly note: string | null } {
  if (typed.length === 0) throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: must not be empty (a path such as /index.html)`);
  if (typed.length > MAX_URL_ARG) throw new VigiaError('VIGIA_ERR_CONFIG', `${flag}: longer than ${MAX_URL_ARG} characters`);
  let url = typed;
  const link = /^https?:\/\/[^/?#]*(.*)$/i.exec(url);
  if (link) url = link[1] === '' ? '/' : link[1]!;
  const q = url.search(/[?#]/);
  if (q >= 0) url = url.slice(0, q);
  if (url === '') url = '/';
  return { url, note: url === typed ? null : `(asking about ${url}: stored URLs are paths without host or query string)` };
}
