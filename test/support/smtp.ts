/**
 * A real SMTP server for tests, in-process (smtp-server package) on a free loopback port: STARTTLS
 * with a self-signed certificate made by `openssl` into a temp dir, AUTH PLAIN/LOGIN with one
 * user, and every received message kept raw so tests parse it like a mail client would.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { tempDir } from './tmp.js';

/** One message as the server received it. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly user: string | undefined;
  /** True when the session had switched to TLS (STARTTLS) before DATA. */
  readonly secure: boolean;
  readonly raw: Buffer;
}

/** A running test SMTP server. */
export interface TestSmtpServer {
  readonly host: string;
  readonly port: number;
  /** PEM file of the self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1), to trust as CA. */
  readonly caFile: string;
  readonly user: string;
  readonly password: string;
  readonly messages: ReceivedMail[];
  /** AUTH attempts refused. */
  readonly authFailures: () => number;
  /** Resolve once at least n messages arrived. */
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Options of startSmtpServer. */
export interface SmtpServerOptions {
  readonly user?: string;
  readonly password?: string;
  /** Largest message accepted, bytes (default 25 MiB). */
  readonly maxBytes?: number;
}

/**
 * Start the server. AUTH is only offered after STARTTLS (smtp-server's default), so a test that
 * sends with auth proves the client upgraded.
 */
export async function startSmtpServer(opts: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const user = opts.user ?? 'vigia';
  const password = opts.password ?? 'correct horse battery staple';
  const tmp = tempDir('vigia-smtp-');
  const keyFile = join(tmp.dir, 'key.pem');
  const certFile = join(tmp.dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  const messages: ReceivedMail[] = [];
  let authFailures = 0;
  const server = new SMTPServer({
    secure: false,
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    size: opts.maxBytes ?? 25 * 1024 * 1024,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) return cb(null, { user });
      authFailures++;
      const err = new Error('Invalid username or password') as Error & { responseCode: number };
      err.responseCode = 535;
      return cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Errors after start (a client dropping mid-session) are the test's business, not a crash.
  server.on('error', () => {});
  return {
    host: '127.0.0.1',
    port,
    caFile: certFile,
    user,
    password,
    messages,
    authFailures: () => authFailures,
    waitForMessages: (n, timeoutMs = 10_000) => waitFor(`${n} smtp message(s)`, () => (messages.length >= n ? messages : undefined), timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          tmp.remove();
          resolve();
        });
      }),
  };
}
