/**
 * Compiled log formats, cached and bounded. Every batch names its format (`X-Vigia-Log-Format`: a name
 * or a LogFormat / log_format string); compiling one costs far more than parsing a batch, and a fleet
 * uses a handful, so the compiled parsers are kept, at most `max` (least recently used forgotten first:
 * a client sending a new format string per batch costs a compile each time, never memory). A format
 * that does not compile is remembered too, as its error.
 */
import { VigiaError } from '../../core/errors.js';
import type { LineParser } from '../parse/line-parser.js';

/** Compiles a format name or string; throws (any error: its message is shown) when it does not compile. */
export type CompileFormat = (spec: string) => LineParser;

/** A bounded cache of compiled formats. */
export class FormatCache {
  private readonly compile: CompileFormat;
  private readonly max: number;
  private readonly cache = new Map<string, LineParser | VigiaError>();

  constructor(compile: CompileFormat, max = 256) {
    this.compile = compile;
    this.max = max;
  }

  /** The parser of `spec`; throws LOGS_ERR_FORMAT (naming the problem) when it does not compile. */
  get(spec: string): LineParser {
    let hit = this.cache.get(spec);
    if (hit !== undefined) this.cache.delete(spec);
    else {
      try {
        hit = this.compile(spec);
      } catch (err) {
        hit = err instanceof VigiaError && err.code === 'LOGS_ERR_FORMAT' ? err : new VigiaError('LOGS_ERR_FORMAT', oneLine(err), { cause: err });
      }
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(spec, hit);
    if (hit instanceof VigiaError) throw hit;
    return hit;
  }
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
