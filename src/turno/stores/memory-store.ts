/** `memory`: counters in this process only. Fast and exact, but lost on restart: tests and demos. */
import { VigiaError } from '../../core/errors.js';
import { MAX_TURNO, type TurnoStore } from '../store.js';

/** A single-process in-memory store. Not shared across --workers (the CLI refuses that combination). */
export class MemoryStore implements TurnoStore {
  readonly kind = 'memory';
  readonly description = 'memory';
  private readonly counters = new Map<string, number>();

  next(id: string): Promise<number> {
    const value = this.counters.get(id) ?? 0;
    if (value >= MAX_TURNO) return Promise.reject(new VigiaError('TURNO_ERR_COUNTER_EXHAUSTED', id));
    this.counters.set(id, value + 1);
    return Promise.resolve(value + 1);
  }

  current(id: string): Promise<number> {
    return Promise.resolve(this.counters.get(id) ?? 0);
  }

  advance(id: string, value: number): Promise<void> {
    if ((this.counters.get(id) ?? 0) < value) this.counters.set(id, value);
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
