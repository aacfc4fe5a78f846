/** Loggers for tests that assert on what was logged. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/core/log.js';

/** One logged line as pino writes it (level as a number: 30 info, 40 warn, 50 error). */
export interface LoggedLine {
  readonly level: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

/** A real pino logger (debug and up) whose lines land, parsed, in `lines`. */
export function captureLogger(): { log: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as LoggedLine);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}
