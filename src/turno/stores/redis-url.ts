/**
 * Parse turno's Redis store URLs (pure). One grammar for all Redis kinds:
 *   redis[s]://[user:pass@]host:port[/db][?param=value&...]
 *   redis-shards://[user:pass@]host:port,host:port[,...][?...]
 *   redis-cluster://[user:pass@]host:port,host:port[,...][?...]
 * Params: replicas (WAIT for N replicas, 0-16), waitTimeoutMs, timeoutMs (per command), prefix.
 */
import { VigiaError } from '../../core/errors.js';

/** A parsed Redis store URL. */
export interface RedisStoreUrl {
  readonly scheme: 'redis' | 'rediss' | 'redis-shards' | 'redis-cluster';
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly replicas: number;
  readonly waitTimeoutMs: number;
  readonly timeoutMs: number;
  readonly prefix: string;
}

const PARAMS = new Set(['replicas', 'waitTimeoutMs', 'timeoutMs', 'prefix']);

/** Parse `url`; throws VIGIA_ERR_CONFIG with the problem (and never echoes the password). */
export function parseRedisStoreUrl(url: string): RedisStoreUrl {
  const bad = (why: string): VigiaError => new VigiaError('VIGIA_ERR_CONFIG', `store: ${why}`);
  const m = /^(redis|rediss|redis-shards|redis-cluster):\/\/(?:([^@/]*)@)?([^/?]+)(?:\/(\d*))?(?:\?(.*))?$/.exec(url);
  if (!m) throw bad('expected redis://host:port, redis-shards://h:p,h:p or redis-cluster://h:p,h:p');
  const scheme = m[1] as RedisStoreUrl['scheme'];
  let username: string | undefined;
  let password: string | undefined;
  if (m[2] !== undefined) {
    const i = m[2].indexOf(':');
    username = decodeURIComponent(i === -1 ? m[2] : m[2].slice(0, i)) || undefined;
    password = i === -1 ? undefined : decodeURIComponent(m[2].slice(i + 1));
  }
  const nodes = m[3]!.split(',').map((hp) => {
    const n = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(hp);
    if (!n || Number(n[2]) < 1 || Number(n[2]) > 65535) throw bad(`"${hp}" is not host:port`);
    return { host: n[1]!.replace(/^\[|\]$/g, ''), port: Number(n[2]) };
  });
  if ((scheme === 'redis' || scheme === 'rediss') && nodes.length !== 1) throw bad(`${scheme}:// takes one host; use redis-shards:// or redis-cluster:// for several`);
  if (scheme !== 'redis' && scheme !== 'rediss' && nodes.length < 1) throw bad('no hosts');
  const params = new URLSearchParams(m[5] ?? '');
  for (const k of params.keys()) if (!PARAMS.has(k)) throw bad(`unknown parameter "${k}" (known: ${[...PARAMS].join(', ')})`);
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = params.get(name);
    if (v === null) return def;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw bad(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
    return Number(v);
  };
  const replicas = int('replicas', 0, 0, 16);
  if (replicas > 0 && scheme === 'redis-cluster') throw bad('replicas= is not supported with redis-cluster://; use redis-shards:// (one WAIT per shard primary)');
  const db = m[4] ? Number(m[4]) : 0;
  if (db !== 0 && scheme === 'redis-cluster') throw bad('Redis Cluster has only database 0');
  const prefix = params.get('prefix') ?? 'turno:';
  if (!/^[A-Za-z0-9:._{}-]{0,64}$/.test(prefix)) throw bad('prefix may hold up to 64 of A-Z a-z 0-9 : . _ - { }');
  return {
    scheme,
    nodes,
    username,
    password,
    db,
    replicas,
    waitTimeoutMs: int('waitTimeoutMs', 250, 1, 60_000),
    timeoutMs: int('timeoutMs', 1000, 10, 60_000),
    prefix,
  };
}

/** A store URL with any password replaced by `***`, for logs and /readyz. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
