/**
 * Redis stores. Increments are atomic `INCRBY`s in Redis, group-committed per batch (see RedisClientStore).
 *
 * - redis://          one primary. With `?replicas=N` every answer waits for `WAIT N` (group
 *                     commit: one WAIT per batch), so a failover to a confirmed replica cannot
 *                     re-issue a number that was answered.
 * - redis-shards://   several independent primaries (each optionally with WAIT); an id always maps
 *                     to the same shard by rendezvous hashing; the shard list is recorded in every
 *                     shard and a different list is refused (it would move ids and re-issue numbers).
 * - redis-cluster://  Redis Cluster; the key's slot picks the primary.
 *
 * Never retry blindly: the client does not resend unanswered commands after a reconnect
 * (autoResendUnfulfilledCommands: false) and does not queue commands while disconnected
 * (enableOfflineQueue: false). A lost answer is an unknown outcome, reported as 503: a gap at worst.
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { VigiaError } from '../../core/errors.js';
import { mix32 } from '../../core/random.js';
import type { Logger } from '../../core/log.js';
import { MAX_TURNO, type TurnoStore } from '../store.js';
import { GroupCommit } from './group-commit.js';
import { parseRedisStoreUrl, redact, type RedisStoreUrl } from './redis-url.js';
import { plural } from '../../core/plural.js';

type Client = Redis | Cluster;

/** Translate a client error into a catalogued one. Replies like WRONGTYPE are data problems (500). */
function storeError(err: unknown): VigiaError {
  if (err instanceof VigiaError) return err;
  const name = (err as Error | undefined)?.name;
  if (name === 'ReplyError' && !/^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|READONLY|MASTERDOWN|NOREPLICAS)/.test((err as Error).message)) {
    return new VigiaError('VIGIA_ERR_INTERNAL', undefined, { cause: err });
  }
  return new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', undefined, { cause: err });
}

/**
 * The values for `n` requests that one `INCRBY key n` served, in arrival order: the n values ending at
 * the reply. Up to MAX_TURNO the reply is an exact JS number. Past it the client's parse may round, so
 * `reply - n + 1` cannot be trusted: the whole batch answers COUNTER_EXHAUSTED (at the very end of
 * the range a batch that crosses 2^53-1 leaves its last few values unissued: gaps, never duplicates).
 */
export function batchValues(reply: unknown, n: number, id: string): (number | VigiaError)[] {
  const last = Number(reply);
  if (!Number.isInteger(last) || last < n) return Array.from({ length: n }, () => new VigiaError('VIGIA_ERR_INTERNAL', `unexpected INCRBY reply for ${id}`));
  if (last > MAX_TURNO) return Array.from({ length: n }, () => new VigiaError('TURNO_ERR_COUNTER_EXHAUSTED', id));
  const first = last - n + 1;
  return Array.from({ length: n }, (_, i) => first + i);
}

const ADVANCE_SCRIPT = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0`;

/**
 * A store on one Redis endpoint (a primary, or the whole cluster through a Cluster client).
 *
 * Requests are group-committed: while one batch is at Redis the next one gathers, and a batch sends one
 * `INCRBY key n` per distinct id (plus one WAIT when replicas are required). The n requests for an id
 * get the n consecutive values ending at the reply, in arrival order. They were all in flight at the
 * same time, so any order among them is linearizable, and every request that completed earlier was
 * in an earlier batch, which Redis executed first. A hot id thus costs Redis one command per batch,
 * not one per request.
 */
class RedisClientStore implements TurnoStore {
  private readonly batcher: GroupCommit<string, number>;
  /** Set when the store must refuse everything (e.g. shard topology mismatch). */
  fatal: VigiaError | undefined;

  constructor(
    readonly kind: string,
    readonly description: string,
    readonly client: Client,
    private readonly url: RedisStoreUrl,
  ) {
    // Batches go out on one connection and Redis runs them in order, so several may be in flight;
    // with WAIT the connection blocks per batch anyway, so one at a time.
    this.batcher = new GroupCommit((ids) => this.incrementBatch(ids), { maxInFlight: url.replicas > 0 ? 1 : 8 });
  }

  next(id: string): Promise<number> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.batcher.full) return Promise.reject(new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'too many increments waiting for Redis'));
    return this.batcher.submit(id);
  }

  private async incrementBatch(ids: readonly string[]): Promise<(number | Error)[]> {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const replies = this.client instanceof Cluster ? await this.incrCluster(counts) : await this.incrPipeline(counts);
    const values = new Map<string, (number | Error)[]>();
    let i = 0;
    for (const [id, n] of counts) {
      const r = replies[i++];
      values.set(id, r instanceof Error ? Array.from({ length: n }, () => r) : batchValues(r, n, id));
    }
    const taken = new Map<string, number>();
    return ids.map((id) => {
      const k = taken.get(id) ?? 0;
      taken.set(id, k + 1);
      return values.get(id)![k]!;
    });
  }

  /** One pipeline: INCRBY per id, then WAIT when replicas are required; one round trip. */
  private async incrPipeline(counts: ReadonlyMap<string, number>): Promise<(unknown | Error)[]> {
    const p = (this.client as Redis).pipeline();
    for (const [id, n] of counts) p.incrby(this.url.prefix + id, n);
    if (this.url.replicas > 0) p.call('WAIT', String(this.url.replicas), String(this.url.waitTimeoutMs));
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await p.exec();
    } catch (err) {
      throw storeError(err);
    }
    if (!replies) throw new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', 'pipeline aborted');
    if (this.url.replicas > 0) {
      const [waitErr, acked] = replies.pop()!;
      if (waitErr) throw storeError(waitErr);
      if (Number(acked) < this.url.replicas) {
        throw new VigiaError('TURNO_ERR_REPLICATION_TIMEOUT', `${Number(acked)} of ${plural(this.url.replicas, 'replica')} acknowledged within ${this.url.waitTimeoutMs} ms`);
      }
    }
    return replies.map(([err, v]) => (err ? storeError(err) : v));
  }

  /** Cluster: keys live on different primaries, so one auto-pipelined INCRBY per id. */
  private incrCluster(counts: ReadonlyMap<string, number>): Promise<(unknown | Error)[]> {
    return Promise.all([...counts].map(([id, n]) => this.client.incrby(this.url.prefix + id, n).then((v) => v as unknown, storeError)));
  }

  async current(id: string): Promise<number> {
    try {
      return Number((await this.client.get(this.url.prefix + id)) ?? 0);
    } catch (err) {
      throw storeError(err);
    }
  }

  async advance(id: string, value: number): Promise<void> {
    if (!Number.isSafeInteger(value) || value < 0) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'value must be a safe non-negative integer');
    try {
      await this.client.eval(ADVANCE_SCRIPT, 1, this.url.prefix + id, String(value));
      if (this.url.replicas > 0) await (this.client as Redis).call('WAIT', String(this.url.replicas), String(this.url.waitTimeoutMs));
    } catch (err) {
      throw storeError(err);
    }
  }

  async ping(): Promise<void> {
    if (this.fatal) throw this.fatal;
    if (this.client.status !== 'ready') throw new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', `redis connection is ${this.client.status}`);
    try {
      await this.client.ping();
    } catch (err) {
      throw storeError(err);
    }
  }

  async close(): Promise<void> {
    await this.batcher.idle();
    await Promise.race([this.client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    this.client.disconnect();
  }
}

function clientOptions(url: RedisStoreUrl): RedisOptions {
  return {
    username: url.username,
    password: url.password,
    db: url.db,
    tls: url.scheme === 'rediss' ? {} : undefined,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: url.timeoutMs + (url.replicas > 0 ? url.waitTimeoutMs : 0),
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 4), 500),
    reconnectOnError: () => false,
  };
}

async function waitReady(client: Client, what: string, log: Logger): Promise<void> {
  if (client.status === 'ready') return;
  const ready = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 5000);
    client.once('ready', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
  if (!ready) log.warn({ store: what }, 'redis not reachable yet; serving 503 until it is');
}

function watch(client: Client, what: string, log: Logger): void {
  let lastError = '';
  client.on('error', (err: Error) => {
    if (err.message !== lastError) log.warn({ store: what, err: err.message }, 'redis connection error');
    lastError = err.message;
  });
  client.on('ready', () => {
    if (lastError) log.info({ store: what }, 'redis connection ready again');
    lastError = '';
  });
}

/** Open a `redis://` or `rediss://` store. */
export async function openRedisStore(text: string, log: Logger): Promise<TurnoStore> {
  const url = parseRedisStoreUrl(text);
  const node = url.nodes[0]!;
  const client = new Redis({ ...clientOptions(url), host: node.host, port: node.port });
  const description = redact(text);
  watch(client, description, log);
  await waitReady(client, description, log);
  return new RedisClientStore('redis', description, client, url);
}

/** Open a `redis-cluster://` store. */
export async function openRedisClusterStore(text: string, log: Logger): Promise<TurnoStore> {
  const url = parseRedisStoreUrl(text);
  const { db: _db, ...redisOptions } = clientOptions(url);
  const options: ClusterOptions = {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    scaleReads: 'master',
    maxRedirections: 16,
    // MOVED/ASK/TRYAGAIN/CLUSTERDOWN mean "not executed" and are retried; a closed connection does
    // not tell whether the INCRBY ran, so it must not be resent (the default would, after 100 ms).
    retryDelayOnFailover: 0,
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    redisOptions,
  };
  const client = new Cluster(url.nodes.map((n) => ({ host: n.host, port: n.port })), options);
  const description = redact(text);
  watch(client, description, log);
  await waitReady(client, description, log);
  return new RedisClientStore('redis-cluster', description, client, url);
}

/** Rendezvous (highest random weight) hashing: stable, and adding a shard moves only 1/N of ids. */
export function pickShard(id: string, shardNames: readonly string[]): number {
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < shardNames.length; i++) {
    const score = fnv1a(shardNames[i] + '\u0000' + id);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix32) so similar strings spread evenly
  return mix32(h);
}

/** Several independent Redis primaries; each id lives on exactly one. */
class RedisShardsStore implements TurnoStore {
  readonly kind = 'redis-shards';

  constructor(
    readonly description: string,
    private readonly shards: readonly RedisClientStore[],
    private readonly names: readonly string[],
  ) {}

  private shard(id: string): RedisClientStore {
    return this.shards[pickShard(id, this.names)]!;
  }

  next(id: string): Promise<number> {
    return this.shard(id).next(id);
  }

  current(id: string): Promise<number> {
    return this.shard(id).current(id);
  }

  advance(id: string, value: number): Promise<void> {
    return this.shard(id).advance(id, value);
  }

  async ping(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.ping()));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}

/** Open a `redis-shards://` store; refuses a shard list that differs from the one the shards hold. */
export async function openRedisShardsStore(text: string, log: Logger): Promise<TurnoStore> {
  const url = parseRedisStoreUrl(text);
  const names = url.nodes.map((n) => `${n.host}:${n.port}`);
  if (new Set(names).size !== names.length) throw new VigiaError('VIGIA_ERR_CONFIG', 'store: the same shard is listed twice');
  const topology = createHash('sha256').update(names.join(',')).digest('hex').slice(0, 16);
  const topologyKey = `${url.prefix}__topology`;
  const verifiers: ((create: boolean) => Promise<void>)[] = [];
  const shards = url.nodes.map((n, i) => {
    const client = new Redis({ ...clientOptions(url), host: n.host, port: n.port });
    const store = new RedisClientStore('redis', `shard ${i} ${names[i]}`, client, url);
    watch(client, names[i]!, log);
    const verifying = new VigiaError('TURNO_ERR_STORE_UNAVAILABLE', `verifying the shard list on ${names[i]}`);
    store.fatal = verifying;
    /**
     * `create`: only at start, and only when no shard holds the key yet (a new deployment). On a
     * reconnect a missing key means the shard came back without its data: its counters would restart
     * at 1, so it is refused.
     */
    const verify = async (create: boolean): Promise<void> => {
      store.fatal = verifying;
      try {
        if (create) await client.set(topologyKey, `${topology} ${names.join(',')}`, 'NX');
        const held = ((await client.get(topologyKey)) ?? '').split(' ')[0];
        if (held === topology) {
          store.fatal = undefined;
          return;
        }
        store.fatal = new VigiaError(
          'TURNO_ERR_SHARD_TOPOLOGY',
          held
            ? `${names[i]} was initialised with another shard list (key ${topologyKey}); moving ids between shards would re-issue numbers`
            : `${names[i]} lost its data (key ${topologyKey} is missing); its counters would restart at 1`,
        );
        log.fatal({ shard: names[i] }, store.fatal.message);
      } catch (err) {
        log.warn({ shard: names[i], err: (err as Error).message }, 'could not verify shard topology yet');
      }
    };
    // Check on every (re)connect: a shard restored from another deployment must not slip in.
    let started = false;
    client.on('ready', () => {
      if (started) void verify(false);
    });
    verifiers.push(async (create: boolean) => {
      await waitReady(client, names[i]!, log);
      started = true;
      if (client.status === 'ready') await verify(create);
    });
    return store;
  });
  // A new deployment (no shard holds the key) writes it everywhere; otherwise every shard must have it.
  await Promise.all(shards.map((s) => waitReady(s.client, s.description, log)));
  const held = await Promise.all(shards.map((s) => s.client.exists(topologyKey).catch(() => 0)));
  const fresh = held.every((n) => n === 0);
  await Promise.all(verifiers.map((v) => v(fresh)));
  return new RedisShardsStore(redact(text), shards, names);
}
