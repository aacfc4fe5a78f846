/**
 * Who is the client behind a connection: the peer, or, only when the peer is a configured trusted
 * proxy, the address the proxy vouches for. Every address-keyed control of a Vigía server (rate
 * limits, connections per address, log lines) keys on this client address, so behind a load balancer
 * each client has its own bucket instead of all sharing the proxy's.
 *
 * A trusted proxy vouches in one of two ways:
 * - the PROXY protocol (v2 binary, as HAProxy's `send-proxy-v2`, or v1 text), read once at the start
 *   of the connection, before TLS and HTTP: it holds for every request on the connection, so the
 *   per-address connection cap applies to the real client too; X-Forwarded-For is then ignored;
 * - X-Forwarded-For, per request, read from the right: the first entry that is not itself a trusted
 *   proxy is the client (entries to its left were written by the client and prove nothing).
 * From any other peer, neither is believed: X-Forwarded-For is ignored and a PROXY header is not looked
 * for, so it reaches the HTTP parser (400, connection closed) or the TLS handshake (fails) as the
 * garbage it is. With no trusted proxy configured nothing here runs at all.
 */
import { BlockList, isIP, type Server, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** A set of CIDR blocks whose peers may tell us the client's address. */
export class TrustedProxies {
  private readonly blocks = new BlockList();
  /** The CIDRs as given (normalised), for logs. */
  readonly cidrs: readonly string[];

  private constructor(cidrs: readonly { address: string; prefix: number; family: 'ipv4' | 'ipv6' }[]) {
    for (const c of cidrs) this.blocks.addSubnet(c.address, c.prefix, c.family);
    this.cidrs = Object.freeze(cidrs.map((c) => `${c.address}/${c.prefix}`));
  }

  /** Trust nobody (the default: every client address is its peer address). */
  static readonly none: TrustedProxies = new TrustedProxies([]);

  /**
   * Parse CIDRs (`10.0.1.0/24`, `2001:db8::/64`; a bare address is a /32 or /128). Throws a RangeError
   * naming the first entry that is not one (callers turn it into their config error).
   */
  static parse(cidrs: readonly string[]): TrustedProxies {
    return new TrustedProxies(
      cidrs.map((text) => {
        const c = parseCidr(text);
        if (!c) throw new RangeError(`"${text.slice(0, 80)}" is not an address or CIDR block (e.g. 10.0.1.0/24, 2001:db8::/64)`);
        return c;
      }),
    );
  }

  /** True when no proxy is trusted. */
  get empty(): boolean {
    return this.cidrs.length === 0;
  }

  /** Whether `address` (IPv4, IPv6, or IPv4-mapped IPv6) lies in a trusted block. */
  has(address: string | undefined): boolean {
    if (this.empty || address === undefined) return false;
    const a = unmapped(address);
    const family = isIP(a);
    if (family === 0) return false;
    return this.blocks.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** A CIDR block, or undefined when `text` is not one. A bare address is a single-address block. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const address = unmapped(m[1]!);
  const family = isIP(address);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client of a request relayed by `peer` (a trusted proxy) with this X-Forwarded-For: the rightmost
 * entry that is not a trusted proxy. Entries that are not plain IP addresses end the walk (the hop to
 * their right is the client: a trusted proxy never writes them, so they came from the client); no
 * header, or every entry trusted, leaves the leftmost trusted hop.
 */
export function clientFromForwardedFor(peer: string, forwardedFor: string | readonly string[] | undefined, trusted: TrustedProxies): string {
  if (forwardedFor === undefined) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor as string)).split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hops[i]!.trim());
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}

/** What the start of a connection holds (see readProxyHeader). */
export type ProxyHeaderScan =
  /** Not a PROXY header: HTTP or TLS bytes, to hand on untouched. */
  | { readonly kind: 'none' }
  /** The start of a PROXY header: read more. */
  | { readonly kind: 'incomplete' }
  /** A header that breaks the protocol: close the connection. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /**
   * A whole header of `length` bytes; `source` is the client's address, or undefined where the proxy
   * speaks for itself (v2 LOCAL, e.g. its health checks; v1 UNKNOWN; a family other than TCP/UDP over IP).
   */
  | { readonly kind: 'header'; readonly length: number; readonly source: string | undefined };

/** PROXY protocol v2 signature (12 bytes). */
const V2_SIG = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
const V1_SIG = Buffer.from('PROXY ', 'latin1');
/** A v1 header is at most 107 bytes, CRLF included (the spec's bound). */
const V1_MAX = 107;
/** Largest v2 header we accept: addresses plus TLVs (HAProxy's are a few hundred bytes at most). */
export const MAX_PROXY_HEADER_BYTES = 4096;

/**
 * Scan the first bytes of a connection for a PROXY protocol header (v1 or v2, spec:
 * haproxy.org/download/2.6/doc/proxy-protocol.txt). Pure: the caller reads bytes until the answer
 * is not `incomplete`.
 */
export function readProxyHeader(buf: Buffer): ProxyHeaderScan {
  if (startsLike(buf, V2_SIG)) {
    if (buf.length < 16) return { kind: 'incomplete' };
    const verCmd = buf[12]!;
    if (verCmd >> 4 !== 2) return { kind: 'invalid', reason: 'PROXY v2: version is not 2' };
    const command = verCmd & 0x0f;
    if (command > 1) return { kind: 'invalid', reason: 'PROXY v2: unknown command' };
    const length = 16 + buf.readUInt16BE(14);
    if (length > MAX_PROXY_HEADER_BYTES) return { kind: 'invalid', reason: 'PROXY v2: header too long' };
    if (buf.length < length) return { kind: 'incomplete' };
    if (command === 0) return { kind: 'header', length, source: undefined }; // LOCAL
    const family = buf[13]! >> 4;
    const transport = buf[13]! & 0x0f;
    if (transport !== 1 && transport !== 2) return { kind: 'header', length, source: undefined };
    if (family === 1) {
      if (length < 16 + 12) return { kind: 'invalid', reason: 'PROXY v2: short IPv4 addresses' };
      return { kind: 'header', length, source: `${buf[16]}.${buf[17]}.${buf[18]}.${buf[19]}` };
    }
    if (family === 2) {
      if (length < 16 + 36) return { kind: 'invalid', reason: 'PROXY v2: short IPv6 addresses' };
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + i * 2).toString(16));
      return { kind: 'header', length, source: compactIpv6(groups) };
    }
    return { kind: 'header', length, source: undefined }; // AF_UNSPEC, AF_UNIX
  }
  if (startsLike(buf, V1_SIG)) {
    if (buf.length < V1_SIG.length) return { kind: 'incomplete' };
    const end = buf.indexOf('\r\n', 0, 'latin1');
    if (end === -1) return buf.length >= V1_MAX ? { kind: 'invalid', reason: 'PROXY v1: no CRLF within 107 bytes' } : { kind: 'incomplete' };
    if (end + 2 > V1_MAX) return { kind: 'invalid', reason: 'PROXY v1: header too long' };
    const parts = buf.toString('latin1', 0, end).split(' ');
    if (parts[1] === 'UNKNOWN') return { kind: 'header', length: end + 2, source: undefined };
    const [, proto, src, dst, sport, dport] = parts;
    const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
    if (parts.length !== 6 || family === 0 || isIP(src!) !== family || isIP(dst!) !== family || !isPort(sport!) || !isPort(dport!)) {
      return { kind: 'invalid', reason: 'PROXY v1: malformed line' };
    }
    return { kind: 'header', length: end + 2, source: unmapped(src!) };
  }
  return { kind: 'none' };
}

function startsLike(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return n > 0 && buf.subarray(0, n).equals(sig.subarray(0, n));
}

function isPort(text: string): boolean {
  return /^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65535;
}

function compactIpv6(groups: string[]): string {
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 client, keyed as such.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const [hi, lo] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  // The longest run of zero groups (two or more) becomes '::' (RFC 5952), so keys match Node's spelling.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  return best === -1 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Client address of a connection, where it differs from the peer (a PROXY header said so). */
const connectionClient = new WeakMap<Socket, string>();
/** Connections whose client came from a PROXY header: X-Forwarded-For is not read on them. */
const proxied = new WeakSet<Socket>();
/** Raw connection -> its TLS socket's client, by 4-tuple, until the TLS socket exists ('secureConnection'). */
const pendingTls = new Map<string, { client: string; viaProxy: boolean }>();

const tuple = (s: Socket): string => `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;

/** Why a connection from a trusted proxy was closed before any request. */
export type ProxyRefusal = { readonly peer: string; readonly reason: string };

/** How acceptClients behaves. */
export interface AcceptClientsOptions {
  readonly trusted: TrustedProxies;
  /** A trusted peer must finish its PROXY header within this (ms). */
  readonly headerTimeoutMs: number;
  /** Whether the server is TLS (clients are then handed over at 'secureConnection'). */
  readonly tls: boolean;
  /**
   * Called with each connection's client address before the server sees it; return false to close it
   * (the per-address connection cap).
   */
  readonly admit: (socket: Socket, client: string) => boolean;
  /** A trusted peer sent a malformed PROXY header (or none in time): the connection was closed. */
  readonly onProxyRefused?: (refusal: ProxyRefusal) => void;
}

/**
 * Put client-address resolution in front of `server`'s own connection handling: each new connection
 * is resolved (from a trusted peer: its PROXY header, if it starts with one, is read and removed
 * first), passed to `admit`, and only then handed to the server's own 'connection' listeners
 * (node:http's parser, or node:tls's handshake), which see the bytes after the header. Connections
 * from untrusted peers are handed over synchronously, untouched.
 */
export function acceptClients(server: Server, options: AcceptClientsOptions): void {
  const own = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const handOver = (socket: Socket, client: string, viaProxy: boolean): void => {
    if (!options.admit(socket, client)) return void socket.destroy();
    if (client !== socket.remoteAddress || viaProxy) {
      if (options.tls) {
        const key = tuple(socket);
        pendingTls.set(key, { client, viaProxy });
        socket.once('close', () => pendingTls.delete(key));
      } else {
        connectionClient.set(socket, client);
        if (viaProxy) proxied.add(socket);
      }
    }
    for (const l of own) l.call(server, socket);
  };
  if (options.tls) {
    server.prependListener('secureConnection', (tlsSocket: Socket) => {
      const key = tuple(tlsSocket);
      const p = pendingTls.get(key);
      if (!p) return;
      pendingTls.delete(key);
      connectionClient.set(tlsSocket, p.client);
      if (p.viaProxy) proxied.add(tlsSocket);
    });
  }
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? '?';
    if (!options.trusted.has(peer)) return handOver(socket, peer, false);
    let buf: Buffer = Buffer.alloc(0);
    const refuse = (reason: string): void => {
      cleanup();
      options.onProxyRefused?.({ peer, reason });
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const scan = readProxyHeader(buf);
      if (scan.kind === 'incomplete') return;
      if (scan.kind === 'invalid') return refuse(scan.reason);
      cleanup();
      socket.pause();
      const rest = scan.kind === 'header' ? buf.subarray(scan.length) : buf;
      if (rest.length > 0) socket.unshift(rest);
      if (scan.kind === 'header' && scan.source !== undefined) handOver(socket, scan.source, true);
      else handOver(socket, peer, scan.kind === 'header');
      // node:tls reads what was unshifted itself as it wraps the socket; node:http's parser reads the
      // socket's handle directly from now on, and gets the unshifted bytes as 'data' once the socket
      // flows again (on the next tick: before any newer bytes from the network).
      if (!options.tls && !socket.destroyed) socket.resume();
    };
    const onTimeout = (): void => refuse('no request or PROXY header in time');
    const onError = (): void => cleanup();
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.setTimeout(options.headerTimeoutMs, onTimeout);
  });
}

/**
 * The client address of `req` (see the file comment): the PROXY header's source where the connection
 * had one, else for a trusted peer the X-Forwarded-For client, else the peer address.
 */
export function requestClientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  const socket = req.socket;
  const known = connectionClient.get(socket);
  if (known !== undefined || proxied.has(socket)) return known ?? socket.remoteAddress ?? '?';
  const peer = socket.remoteAddress ?? '?';
  if (!trusted.has(peer)) return peer;
  return clientFromForwardedFor(peer, req.headers['x-forwarded-for'], trusted);
}
