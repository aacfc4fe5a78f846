/**
 * Syslog receivers (I/O): UDP datagrams, and TCP connections split by tcp-framing.ts. Each message is
 * parsed (syslog-message.ts) and handed to the sink with the sender's address; a message that is not
 * syslog is reported by reason and dropped, never fatal. Syslog has no authentication: bind to loopback
 * (the default) or to an interface only the web servers reach, and say so in the firewall.
 *
 * Bounds: a message over `maxMessageBytes` is dropped and counted (`too-long`); TCP: at most
 * `maxConnections` at once (more are closed at accept), a connection idle for `idleTimeoutMs` is closed,
 * each holds at most one message's bytes (the framer's cap), and a broken octet count closes it.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { ListenAddress } from '../../core/config.js';
import { parseSyslog, type SyslogFailure, type SyslogMessage } from './syslog-message.js';
import { SyslogFramer } from './tcp-framing.js';

/** Receiver bounds. */
export interface SyslogLimits {
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
}

/** Defaults: 64 KiB messages (nginx sends at most 2 KiB, rsyslog 8 KiB by default), 1,000 connections, 5 min idle. */
export const DEFAULT_SYSLOG_LIMITS: SyslogLimits = Object.freeze({ maxMessageBytes: 64 * 1024, maxConnections: 1000, idleTimeoutMs: 300_000 });

/** Where messages go. */
export interface SyslogSink {
  message(msg: SyslogMessage, peer: string, transport: 'udp' | 'tcp'): void;
  /** A datagram or frame that was not a syslog message, or too long, or a connection refused or broken. */
  failure(reason: SyslogFailure | 'too-long' | 'bad-frame' | 'too-many-connections', transport: 'udp' | 'tcp'): void;
}

/** A running receiver. */
export interface SyslogReceiver {
  /** The bound address (port 0 picks a free one). */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

function deliver(text: string, peer: string, transport: 'udp' | 'tcp', sink: SyslogSink): void {
  const m = parseSyslog(text);
  if (typeof m === 'string') sink.failure(m, transport);
  else sink.message(m, peer, transport);
}

/** Receive syslog over UDP on `at`. */
export function listenSyslogUdp(at: ListenAddress, limits: SyslogLimits, sink: SyslogSink): Promise<SyslogReceiver> {
  const socket: UdpSocket = createSocket({ type: at.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  socket.on('message', (buf, rinfo) => {
    if (buf.length > limits.maxMessageBytes) return sink.failure('too-long', 'udp');
    deliver(buf.toString('utf8'), rinfo.address, 'udp', sink);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(at.port, at.host, () => {
      socket.off('error', reject);
      // A receive error must not crash the collector; datagrams are best effort anyway.
      socket.on('error', () => {});
      const a = socket.address();
      resolve({ address: { host: a.address, port: a.port }, close: () => new Promise((r) => socket.close(() => r())) });
    });
  });
}

/** Receive syslog over TCP on `at` (octet counting and LF framing, frame by frame). */
export function listenSyslogTcp(at: ListenAddress, limits: SyslogLimits, sink: SyslogSink): Promise<SyslogReceiver> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (sockets.size >= limits.maxConnections) {
      sink.failure('too-many-connections', 'tcp');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const peer = socket.remoteAddress ?? '';
    const framer = new SyslogFramer(limits.maxMessageBytes);
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const out = framer.push(chunk);
      for (const text of out.messages) deliver(text, peer, 'tcp', sink);
      for (let i = 0; i < out.oversize; i++) sink.failure('too-long', 'tcp');
      if (out.broken) {
        sink.failure('bad-frame', 'tcp');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      const a = server.address() as { address: string; port: number };
      resolve({
        address: { host: a.address, port: a.port },
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}
