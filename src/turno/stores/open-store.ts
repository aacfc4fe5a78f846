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
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { TurnoStore } from '../store.js';

interface StoreKind {
  readonly matches: (url: string) => boolean;
  readonly open: (url: string, log: Logger) => Promise<TurnoStore>;
}

const STORE_KINDS: readonly StoreKind[] = [
  { matches: (u) => u === 'memory', open: async () => new (await import('./memory-store.js')).MemoryStore() },
  { matches: (u) => u.startsWith('file:'), open: async (u, log) => (await import('./file-store.js')).FileStore.open(u.slice(5), log) },
  { matches: (u) => /^rediss?:\/\//.test(u), open: async (u, log) => (await import('./redis-store.js')).openRedisStore(u, log) },
  { matches: (u) => u.startsWith('redis-shards://'), open: async (u, log) => (await import('./redis-store.js')).openRedisShardsStore(u, log) },
  { matches: (u) => u.startsWith('redis-cluster://'), open: async (u, log) => (await import('./redis-store.js')).openRedisClusterStore(u, log) },
];

/** Open the store named by `url`; throws VIGIA_ERR_CONFIG for an unknown scheme. */
export async function openStore(url: string, log: Logger): Promise<TurnoStore> {
  const kind = STORE_KINDS.find((k) => k.matches(url));
  if (!kind) throw new VigiaError('VIGIA_ERR_CONFIG', `store: unknown store "${redact(url)}"; use memory, file:PATH, redis://, redis-shards:// or redis-cluster://`);
  return kind.open(url, log);
}

/** A store URL with any password replaced by `***`, for logs and /readyz. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
