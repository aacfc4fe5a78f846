/**
 * Lines the shippers dropped (pure, bounded). Each batch carries `X-Vigia-Log-Dropped`: the lines its
 * shipper dropped since that shipper started (cumulative, src/logs/wire.ts). The collector adds each
 * shipper's increase to one total; a value lower than the last one means the shipper restarted, and
 * the whole value is new. Keyed by the authenticated host and the shipper id (the source before its
 * first `:`), so one shipper's several files are not counted several times and one host cannot move
 * another's figure. At most `maxShippers` are remembered (least recently seen forgotten first; a
 * forgotten shipper's next value counts whole, so the total can only over-state drops, never hide them).
 */

/** Tracks the last cumulative value of each shipper. */
export class DroppedTally {
  private readonly last = new Map<string, number>();
  private readonly max: number;

  constructor(maxShippers = 100_000) {
    this.max = maxShippers;
  }

  /** Record a batch's cumulative value; answers how many drops are new. */
  observe(host: string, source: string, cumulative: number): number {
    const at = source.indexOf(':');
    const key = `${host}\u0000${at < 0 ? source : source.slice(0, at)}`;
    const prev = this.last.get(key);
    if (prev !== undefined) this.last.delete(key);
    else if (this.last.size >= this.max) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, cumulative);
    if (prev === undefined || cumulative < prev) return cumulative;
    return cumulative - prev;
  }
}
