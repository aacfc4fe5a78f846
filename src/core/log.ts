/** Structured JSON logging (pino) to stderr, so stdout stays free for a command's own output. */
import { pino, destination, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { sanitiseJson } from './sanitise.js';

/** The logger type every module receives. */
export type Logger = PinoLogger;

/** Log levels accepted by --log-level. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Create the process logger; `level` comes from configuration; `dest` (default stderr) is for tests.
 * Log lines carry host text (mountpoints, errors, tags, check output) and end up in terminals
 * (`journalctl`, `kubectl logs`): pino escapes C0 controls but writes DEL, C1 controls and format
 * characters (U+202E) raw, so every line goes through core/sanitise's `sanitiseJson`, which writes
 * them as JSON escapes and leaves the logged values exactly as they were.
 */
export function createLogger(level: (typeof LOG_LEVELS)[number] = 'info', bindings: Record<string, unknown> = {}, dest: DestinationStream = destination({ fd: 2, sync: false })): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings }, hooks: { streamWrite: sanitiseJson } }, dest);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
