/** Structured JSON logging (pino) to stderr, so stdout stays free for a command's own output. */
import { pino, destination, type Logger as PinoLogger } from 'pino';

/** The logger type every module receives. */
export type Logger = PinoLogger;

/** Log levels accepted by --log-level. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Create the process logger; `level` comes from configuration. */
export function createLogger(level: (typeof LOG_LEVELS)[number] = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } }, destination({ fd: 2, sync: false }));
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
