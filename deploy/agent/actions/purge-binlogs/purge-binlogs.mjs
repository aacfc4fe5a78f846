#!/usr/bin/env node
// vigia action purge-binlogs: PURGE BINARY LOGS BEFORE NOW() - INTERVAL <days> DAY on the local
// MySQL/MariaDB. Run by the agent as `node purge-binlogs.mjs -- <days> <dry_run>`, with a clean
// environment from the manifest:
//   MYSQL_SOCKET         unix socket of the local server (default /run/mysqld/mysqld.sock)
//   MYSQL_USER           account with BINLOG ADMIN (MariaDB) / BINLOG_ADMIN (MySQL 8) and
//                        BINLOG MONITOR / REPLICATION CLIENT (for SHOW BINARY LOGS)
//   MYSQL_PASSWORD_FILE  file holding its password (first line); absent or empty = no password
//                        (e.g. unix_socket authentication). Never taken from parameters.
//   NODE_PATH            where mysql2 is installed (the agent fills in its own node_modules)
// Prints one JSON object on stdout. Exit codes: 0 done, 2 binary logging is off, 3 cannot connect,
// 4 bad arguments, 1 any other error (message on stderr).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const EXIT_BINLOG_OFF = 2;
const EXIT_CONNECT = 3;
const EXIT_USAGE = 4;

function fail(code, message) {
  process.stderr.write(`purge-binlogs: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const sep = argv.indexOf('--');
  const args = sep === -1 ? [] : argv.slice(sep + 1);
  if (args.length < 1 || args.length > 2) fail(EXIT_USAGE, 'usage: purge-binlogs.mjs -- <days> [true|false]');
  // The agent validated these already; a second check costs nothing and keeps the script safe alone.
  if (!/^[0-9]{1,5}$/.test(args[0])) fail(EXIT_USAGE, `days must be a non-negative integer, got ${JSON.stringify(args[0])}`);
  const days = Number(args[0]);
  if (days > 36500) fail(EXIT_USAGE, 'days must be at most 36500');
  const dryRun = args[1] ?? 'false';
  if (dryRun !== 'true' && dryRun !== 'false') fail(EXIT_USAGE, 'dry_run must be true or false');
  return { days, dryRun: dryRun === 'true' };
}

function readPassword(file) {
  if (!file) return undefined;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    fail(EXIT_CONNECT, `cannot read password file ${file}: ${err.code ?? err.message}`);
  }
  const first = text.split('\n')[0].replace(/\r$/, '');
  return first === '' ? undefined : first;
}

async function showBinaryLogs(conn) {
  const [rows] = await conn.query('SHOW BINARY LOGS');
  return rows.map((r) => ({ name: r.Log_name, size: Number(r.File_size) }));
}

async function main() {
  const { days, dryRun } = parseArgs(process.argv);
  const env = process.env;
  const socketPath = env.MYSQL_SOCKET || '/run/mysqld/mysqld.sock';
  const user = env.MYSQL_USER || 'vigia_purge';
  const password = readPassword(env.MYSQL_PASSWORD_FILE);
  let mysql;
  try {
    mysql = createRequire(import.meta.url)('mysql2/promise');
  } catch {
    fail(1, 'cannot load mysql2 (NODE_PATH must name the vigia install\'s node_modules)');
  }
  let conn;
  try {
    conn = await mysql.createConnection({ socketPath, user, password, connectTimeout: 10_000, supportBigNumbers: true, dateStrings: true });
  } catch (err) {
    fail(EXIT_CONNECT, `cannot connect to MySQL on ${socketPath} as ${user}: ${err.code ?? ''} ${err.message}`.trim());
  }
  try {
    const [[vars]] = await conn.query('SELECT @@log_bin AS log_bin, NOW() - INTERVAL ? DAY AS cutoff, @@version AS version', [days]);
    if (Number(vars.log_bin) !== 1) fail(EXIT_BINLOG_OFF, 'binary logging is off on this server (log_bin=0); nothing to purge');
    const before = await showBinaryLogs(conn);
    let warnings = [];
    if (!dryRun) {
      await conn.query('PURGE BINARY LOGS BEFORE NOW() - INTERVAL ? DAY', [days]);
      // The server keeps logs still in use (a replica reading them, or MariaDB's binlog checkpoint
      // not past them yet) and says so only in warnings: pass them on.
      const [w] = await conn.query('SHOW WARNINGS');
      warnings = w.map((r) => `${r.Level} ${r.Code}: ${r.Message}`);
    }
    const after = dryRun ? before : await showBinaryLogs(conn);
    const kept = new Set(after.map((b) => b.name));
    const purged = before.filter((b) => !kept.has(b.name)).map((b) => b.name);
    process.stdout.write(JSON.stringify({ days, dry_run: dryRun, cutoff: vars.cutoff, server_version: vars.version, before, after, purged, warnings, freed_bytes: before.filter((b) => !kept.has(b.name)).reduce((s, b) => s + b.size, 0) }) + '\n');
  } catch (err) {
    fail(1, `${err.code ?? 'error'}: ${err.message}`);
  } finally {
    await conn.end().catch(() => {});
  }
}

await main();
