/**
 * The collector's operator API (paths and query schemas fixed in src/core/contracts/logs-query.ts, shared with the
 * CLI's `--server` client): each route validates its query strictly (an unknown parameter is a 400
 * naming it) and answers exactly the LogStore's result, so `vigia logs who --server URL` prints what
 * `vigia logs who --data-dir D` prints. Every route needs the `read` scope; /metrics too. Values from
 * the query reach the store as values (the engines bind them as parameters), never as query text.
 */
import { send, validateQuery } from '../../core/http.js';
import { SENT, type Authenticate, type Mount, type Route, type TokenPrincipal } from '../../core/http-pipeline.js';
import { QUERY_PATHS, QUERY_SCHEMAS } from '../../core/contracts/logs-query.js';
import type { LogStore, TopBy } from '../store/log-store.js';

/** What the operator routes need. */
export interface QueryRouteDeps {
  readonly store: LogStore;
  /** The whole /metrics exposition text. */
  readonly metrics: () => Promise<string>;
}

const exact = (path: string): RegExp => new RegExp(`^${path.replace(/\//g, '\\/')}$`);

/** The operator mount: owns every path the ingest mount does not; operator tokens (`--tokens`) only. */
export function queryMount(deps: QueryRouteDeps, authenticate: Authenticate<TokenPrincipal>): Mount<TokenPrincipal> {
  const { store } = deps;
  const get = (name: keyof typeof QUERY_PATHS, handler: (query: Record<string, string | string[]>) => Promise<unknown>): Route<TokenPrincipal> => ({
    method: 'GET', name: QUERY_PATHS[name], path: exact(QUERY_PATHS[name]), scope: 'read',
    handler: ({ query }) => handler(query),
  });
  const routes: Route<TokenPrincipal>[] = [
    get('who', (q) => store.who(validateQuery(QUERY_SCHEMAS.who, q, 'VIGIA_ERR_BAD_REQUEST'))),
    get('top', (q) => {
      const v = validateQuery(QUERY_SCHEMAS.top, q, 'VIGIA_ERR_BAD_REQUEST');
      return store.top({ ...v, by: v.by as TopBy });
    }),
    get('visits', (q) => store.visits(validateQuery(QUERY_SCHEMAS.visits, q, 'VIGIA_ERR_BAD_REQUEST'))),
    get('series', (q) => {
      const v = validateQuery(QUERY_SCHEMAS.series, q, 'VIGIA_ERR_BAD_REQUEST');
      // Optional filters absent from the query stay absent (exactOptionalPropertyTypes).
      return store.series({
        from: v.from, to: v.to, prefix: v.prefix,
        ...(v.url !== undefined ? { url: v.url } : {}),
        ...(v.ip !== undefined ? { ip: v.ip } : {}),
        ...(v.status !== undefined ? { status: v.status } : {}),
      });
    }),
    get('overview', (q) => store.overview(validateQuery(QUERY_SCHEMAS.overview, q, 'VIGIA_ERR_BAD_REQUEST'))),
    get('stats', (q) => {
      validateQuery(QUERY_SCHEMAS.stats, q, 'VIGIA_ERR_BAD_REQUEST');
      return store.stats();
    }),
    {
      method: 'GET', name: '/metrics', path: /^\/metrics$/, scope: 'read',
      handler: async ({ res, head }) => {
        send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await deps.metrics(), head);
        return SENT;
      },
    },
  ];
  return { name: 'operator', owns: () => true, authenticate, credential: 'operator', routes };
}
