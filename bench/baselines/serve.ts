/**
 * Shared by the baselines: listen on 127.0.0.1:`port`, print `listening on URL` once ready, and on
 * SIGTERM/SIGINT close everything and exit.
 */
import type { Server } from 'node:http';

/** Start `server` and wire its shutdown; `release` closes what else the baseline holds. */
export function serveUntilSignal(server: Server, port: number, release: () => void = () => {}): void {
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address();
    const p = typeof addr === 'object' && addr ? addr.port : port;
    process.stdout.write(`listening on http://127.0.0.1:${p}\n`);
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      server.close();
      server.closeAllConnections();
      release();
      process.exit(0);
    });
  }
}
