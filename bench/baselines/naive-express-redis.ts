/**
 * Baseline (b) for `npm run bench:turno`: what a first implementation would look like. Express 5 and
 * ioredis with default options (no auto-pipelining, no validation, no metrics): one INCR per request.
 *
 *   node --import tsx bench/baselines/naive-express-redis.ts --port PORT --redis redis://127.0.0.1:RPORT
 * Prints `listening on http://127.0.0.1:PORT` once ready; exits on SIGTERM/SIGINT.
 */
import { createServer } from 'node:http';
import express from 'express';
import { Redis } from 'ioredis';
import { serveUntilSignal } from './serve.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const port = Number(arg('--port') ?? 0);
const redis = new Redis(arg('--redis') ?? 'redis://127.0.0.1:6379');

const app = express();
app.get('/turno/:id', async (req, res) => {
  const id = req.params.id;
  res.json({ id, turno: await redis.incr(id) });
});

serveUntilSignal(createServer(app), port, () => redis.disconnect());
