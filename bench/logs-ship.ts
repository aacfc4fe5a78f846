/**
 * The shipper's cost on a web server: a real `vigia logs ship` child (the built binary) follows a file
 * written at each rate into a local stand-in collector; its CPU (utime+stime from /proc/<pid>/stat) and
 * peak RSS (VmHWM) over the run. The issue's target: at most 2 % of a core per 1,000 lines/s, bounded RSS.
 *
 *   node --import tsx bench/logs-ship.ts [--rates 1000,10000] [--duration 10]
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLogsReceiver } from '../test/support/logs-receiver.js';
import { accessLine, startShip, writeTokenFile } from '../test/support/logs-ship-process.js';
import { tempDir } from '../test/support/tmp.js';
import { waitFor } from '../test/support/wait.js';
import { procCpu, procMem } from './support/proc.js';
import { fmtFixed, fmtInt, table } from './support/report.js';

/** One measured rate. */
export interface ShipCost {
  readonly rate: number;
  readonly lines: number;
  readonly seconds: number;
  /** Percent of one core over the run. */
  readonly cpuPct: number;
  /** Percent of a core per 1,000 lines/s. */
  readonly cpuPctPer1k: number;
  /** VmHWM in MB (10^6 bytes). */
  readonly peakRssMB: number;
}

/** Measure the shipper at each rate (lines/s) for `durationS` seconds each. */
export async function benchShip(rates: readonly number[], durationS: number): Promise<ShipCost[]> {
  const token = 'bench-token-0123456789abcdef';
  const receiver = await startLogsReceiver(token);
  const out: ShipCost[] = [];
  try {
    for (const rate of rates) {
      const t = tempDir('bench-ship-');
      try {
        mkdirSync(join(t.dir, 'logs'));
        const file = join(t.dir, 'logs', 'access.log');
        writeFileSync(file, '');
        const ship = await startShip(['--glob', join(t.dir, 'logs', '*.log'), '--server', receiver.url, '--token-file', writeTokenFile(t.dir, token), '--host', `bench-${rate}`,
          '--state-dir', join(t.dir, 'state'), '--spool-dir', join(t.dir, 'spool'), '--stats-interval', '0']);
        try {
          const pid = ship.child.pid!;
          await new Promise((r) => setTimeout(r, 1000));
          const cpu0 = procCpu(pid);
          const t0 = performance.now();
          let i = 0;
          // Written every 10 ms, as a web server appends: rate/100 lines each time.
          while (performance.now() - t0 < durationS * 1000) {
            const due = Math.floor(((performance.now() - t0) / 1000) * rate);
            let s = '';
            for (; i < due; i++) s += `${accessLine(`b${rate}`, i)}\n`;
            if (s) appendFileSync(file, s);
            await new Promise((r) => setTimeout(r, 10));
          }
          const seconds = (performance.now() - t0) / 1000;
          const cpu = procCpu(pid) - cpu0;
          const rss = procMem(pid);
          const lines = i;
          await waitFor('every line at the receiver', () => receiver.batches.filter((b) => b.source.startsWith(`bench-${rate}:`)).reduce((n, b) => n + b.lines.length, 0) >= lines, 60_000, 100);
          const cpuPct = (cpu / seconds) * 100;
          out.push({ rate, lines, seconds, cpuPct, cpuPctPer1k: cpuPct / (lines / seconds / 1000), peakRssMB: rss.hwm });
        } finally {
          await ship.stop();
        }
      } finally {
        t.remove();
      }
    }
  } finally {
    await receiver.close();
  }
  return out;
}

/** The table printed by the bench. */
export function shipTable(rows: readonly ShipCost[]): string {
  return table(
    [['lines/s', 'lines', 'seconds', 'CPU % of a core', '% per 1,000 lines/s (target <= 2)', 'peak RSS MB'], ...rows.map((r) => [fmtInt(r.rate), fmtInt(r.lines), fmtFixed(r.seconds, 1), fmtFixed(r.cpuPct, 2), fmtFixed(r.cpuPctPer1k, 2), fmtFixed(r.peakRssMB, 1)])],
    [true, true, true, true, true, true],
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, def: string): string => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1]! : def;
  };
  const rows = await benchShip(arg('--rates', '1000,10000').split(',').map(Number), Number(arg('--duration', '10')));
  process.stdout.write(`vigia logs ship: cost of following a file (built binary, /proc/<pid>/stat)\n${shipTable(rows)}\n`);
}
