/**
 * Store URL -> store. The registry below is the one list of store kinds; each is loaded lazily so
 * a memory or file deployment never loads the Redis client.
 *
 *   memory                                       single process, lost on restart
 *   file:PATH                                    embedded durable journal (default)
 *   redis://[:pass@]host:port[/db][?replicas=N&waitTimeoutMs=T]     single Redis (+ WAIT for N replicas)
 *   redis-shards://host:port,host:port[?...]     several independent primaries, ids spread by hash
 *   redis-cluster://host:port,host:port[?...]    Redis Cluster (slots by key hash)
 */
import { VigiaError, isVigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { TurnoStore } from '../store.js';
import { parseRedisStoreUrl, redact } from './redis-url.js';

interface StoreKind {
  readonly matches: (url: string) => boolean;
  /** Why the URL cannot work (checked at start, before anything is opened), or undefined. */
  readonly problem: (url: string) => string | undefined;
  readonly open: (url: string, log: Logger) => Promise<TurnoStore>;
}

const none = (): undefined => undefined;

function redisUrlProblem(url: string): string | undefined {
  try {
    parseRedisStoreUrl(url);
    return undefined;
  } catch (err) {
    if (isVigiaError(err)) return err.message.replace(/^invalid configuration: store: /, '');
    throw err;
  }
}

const STORE_KINDS: readonly StoreKind[] = [
  { matches: (u) => u === 'memory', problem: none, open: async () => new (await import('./memory-store.js')).MemoryStore() },
  {
    matches: (u) => u.startsWith('file:'),
    problem: (u) => (u.length > 5 ? undefined : 'file: needs a path, e.g. file:./data/turno.journal'),
    open: async (u, log) => (await import('./file-store.js')).FileStore.open(u.slice(5), log),
  },
  { matches: (u) => /^rediss?:\/\//.test(u), problem: redisUrlProblem, open: async (u, log) => (await import('./redis-store.js')).openRedisStore(u, log) },
  { matches: (u) => u.startsWith('redis-shards://'), problem: redisUrlProblem, open: async (u, log) => (await import('./redis-store.js')).openRedisShardsStore(u, log) },
  { matches: (u) => u.startsWith('redis-cluster://'), problem: redisUrlProblem, open: async (u, log) => (await import('./redis-store.js')).openRedisClusterStore(u, log) },
];

const UNKNOWN = 'unknown store; use memory, file:PATH, redis://, redis-shards:// or redis-cluster://';

/** Why `url` is not a usable store URL, or undefined. Pure: loads no store code. */
export function storeUrlProblem(url: string): string | undefined {
  const kind = STORE_KINDS.find((k) => k.matches(url));
  return kind ? kind.problem(url) : UNKNOWN;
}

/** Open the store named by `url`; throws VIGIA_ERR_CONFIG for a URL that cannot work. */
export async function openStore(url: string, log: Logger): Promise<TurnoStore> {
  const problem = storeUrlProblem(url);
  if (problem) throw new VigiaError('VIGIA_ERR_CONFIG', `store: ${problem} ("${redact(url)}")`);
  return STORE_KINDS.find((k) => k.matches(url))!.open(url, log);
}
