/**
 * Baseline (a) for `npm run bench:turno`: the cheapest possible node:http answer, a constant JSON
 * body. It bounds what any Node HTTP service can do on this machine with the same load tool, so
 * turno's throughput is reported as a ratio of it.
 *
 *   node --import tsx bench/baselines/bare-http.ts --port PORT
 * Prints `listening on http://127.0.0.1:PORT` once ready; exits on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';
import { serveUntilSignal } from './serve.js';

const BODY = '{"id":"x","turno":1}';
const HEADERS = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(BODY)), 'cache-control', 'no-store'];

const portArg = process.argv.indexOf('--port');
const port = portArg === -1 ? 0 : Number(process.argv[portArg + 1]);

const server = createServer((_req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 65_000;
serveUntilSignal(server, port);
