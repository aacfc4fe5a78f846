/**
 * Who visits the simulated site: the site map, a pool of clients (IPv4 and a share of IPv6, each with its
 * browser) drawn with a heavy tail (a few clients send many requests, most send a handful), and the
 * crawlers with the address ranges they really come from. Built once per seed and shared by every node's
 * traffic (the same clients reach many web servers through the load balancer). Pure and deterministic.
 */
import { mix32 } from '../../core/random.js';
import { buildSiteMap, type SiteMap } from './site-map.js';
import { BOT_AGENTS, BROWSER_AGENTS, TOOL_AGENTS } from './user-agents.js';
import { zipf, type Zipf } from './zipf.js';

/** Sizes and shapes of the population. */
export interface PopulationOptions {
  readonly seed: number;
  /** URLs on the site (default 20,000). */
  readonly siteSize?: number;
  /** Distinct clients (default 100,000). */
  readonly clients?: number;
  /** Share of clients with an IPv6 address (default 0.1). */
  readonly ipv6Share?: number;
  /** Zipf exponent of URL popularity (default 1.0, as measured on web servers since Breslau et al. 1999). */
  readonly urlExponent?: number;
  /** Zipf exponent of requests per client (default 0.7: heavy tail without one client dominating). */
  readonly clientExponent?: number;
}

/** The shared, read-only population. */
export interface Population {
  readonly seed: number;
  readonly site: SiteMap;
  readonly urls: Zipf;
  readonly clients: Zipf;
  /** The address of client `i` (rank in the request-count order), cached after the first call. */
  clientAddress(i: number): string;
  /** True when client `i` has an IPv6 address. */
  isIpv6(i: number): boolean;
  /** The browser (or, for a few clients, the script) client `i` runs. */
  clientAgent(i: number): string;
  /** A crawler's address for crawler `bot` (index into BOT_AGENTS) and a uniform draw `u`. */
  botAddress(bot: number, u: number): string;
}

/** A 32-bit integer hash (murmur3's finaliser) of `x` mixed with `salt`: stable per client, no state. */
export function hash32(x: number, salt: number): number {
  return mix32((Math.imul(x ^ salt, 0x9e3779b1) ^ 0x85ebca6b) >>> 0);
}

// First octets of widely used public IPv4 blocks (no private, loopback or documentation ranges).
const V4_FIRST = [23, 31, 37, 45, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217, 24, 50, 67, 68, 71, 73, 98, 99, 174, 189, 201];
const V6_PREFIX = ['2a02:8108', '2a01:4f8', '2600:1700', '2607:fb90', '2001:67c', '240e:3b7', '2a00:23c7', '2804:14c'];
// Where each crawler of BOT_AGENTS really crawls from (a /16 or /24 of its published ranges).
const BOT_NETS = ['66.249.66', '157.55.39', '54.36.148', '185.191.171', '5.255.253', '220.181.108', '20.191.45', '216.244.66', '69.171.249', '207.46.13'];

/** Build the population; throws RangeError for sizes or shares out of range. */
export function buildPopulation(options: PopulationOptions): Population {
  const clients = options.clients ?? 100_000;
  const ipv6Share = options.ipv6Share ?? 0.1;
  if (!(ipv6Share >= 0 && ipv6Share <= 1)) throw new RangeError(`ipv6 share must be from 0 to 1, got ${ipv6Share}`);
  const seed = options.seed >>> 0;
  const site = buildSiteMap(options.siteSize ?? 20_000, seed);
  const urls = zipf(site.urls.length, options.urlExponent ?? 1.0);
  const clientZipf = zipf(clients, options.clientExponent ?? 0.7);
  const addresses: (string | undefined)[] = new Array<string | undefined>(clients);
  const v6Cut = Math.round(ipv6Share * 1_000_000);
  const isIpv6 = (i: number): boolean => hash32(i, seed ^ 0x6b6) % 1_000_000 < v6Cut;
  const address = (i: number): string => {
    const h = hash32(i, seed);
    const g = hash32(i, seed ^ 0x1234567);
    if (isIpv6(i)) {
      const hex = (n: number): string => (n & 0xffff).toString(16);
      return `${V6_PREFIX[h % V6_PREFIX.length]}:${hex(g)}:${hex(g >>> 16)}:${hex(h >>> 8)}::${hex(hash32(i, 77))}`;
    }
    return `${V4_FIRST[h % V4_FIRST.length]}.${(g >>> 8) & 0xff}.${(g >>> 16) & 0xff}.${1 + ((g >>> 24) % 254)}`;
  };
  return {
    seed,
    site,
    urls,
    clients: clientZipf,
    clientAddress(i: number): string {
      return (addresses[i] ??= address(i));
    },
    isIpv6,
    clientAgent(i: number): string {
      const h = hash32(i, seed ^ 0xa6e);
      // 2 % of clients are scripts; browsers are skewed towards the first (most common) strings.
      if (h % 100 < 2) return TOOL_AGENTS[h % TOOL_AGENTS.length]!;
      const u = (h >>> 8) / 16_777_216;
      return BROWSER_AGENTS[Math.floor(u * u * BROWSER_AGENTS.length)]!;
    },
    botAddress(bot: number, u: number): string {
      return `${BOT_NETS[bot % BOT_NETS.length]}.${1 + Math.floor(u * 254)}`;
    },
  };
}
