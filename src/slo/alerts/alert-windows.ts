/**
 * Multi-window multi-burn-rate alert windows (Google SRE workbook, chapter 5, as Sloth ships them):
 * for an SLO period, four alerts (page quick/slow, ticket quick/slow), each with the share of the
 * period's error budget it may burn over its long window, a short window that stops it once the
 * problem is gone, and the burn-rate factor derived from both.
 *
 * Built in: 30d and 28d. A catalog of `sloth.slok.dev/v1` `AlertWindows` documents replaces them
 * (Sloth's --slo-period-windows-path): any period, any windows.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { VigiaError } from '../../core/errors.js';
import { parseDuration } from '../spec/duration.js';
import { plural } from '../../core/plural.js';

/** One of the four alerts. */
export interface AlertWindow {
  /** Percent of the period's error budget this alert fires on (2 = 2 %). */
  readonly errorBudgetPercent: number;
  readonly shortMs: number;
  readonly longMs: number;
}

/** The windows of one SLO period. */
export interface PeriodWindows {
  readonly periodMs: number;
  readonly pageQuick: AlertWindow;
  readonly pageSlow: AlertWindow;
  readonly ticketQuick: AlertWindow;
  readonly ticketSlow: AlertWindow;
}

const H = 3_600_000;
const D = 24 * H;

function google(periodMs: number): PeriodWindows {
  return {
    periodMs,
    pageQuick: { errorBudgetPercent: 2, shortMs: 5 * 60_000, longMs: H },
    pageSlow: { errorBudgetPercent: 5, shortMs: 30 * 60_000, longMs: 6 * H },
    ticketQuick: { errorBudgetPercent: 10, shortMs: 2 * H, longMs: D },
    ticketSlow: { errorBudgetPercent: 10, shortMs: 6 * H, longMs: 3 * D },
  };
}

/** The built-in catalog: 30 and 28 days. */
export const DEFAULT_ALERT_WINDOWS: readonly PeriodWindows[] = Object.freeze([google(30 * D), google(28 * D)]);

/**
 * Burn-rate factor: how many times faster than "exactly the budget over the period" the SLI must
 * burn to spend errorBudgetPercent of the budget within the long window. Computed in Sloth's order
 * (percent × period hours / 100, then / long-window hours) so the float is bit-identical.
 */
export function burnRateFactor(periodMs: number, w: AlertWindow): number {
  const hoursRequired = (w.errorBudgetPercent * (periodMs / H)) / 100;
  return hoursRequired / (w.longMs / H);
}

const windowDoc = z
  .object({
    errorBudgetPercent: z.number().positive().max(100),
    shortWindow: z.string(),
    longWindow: z.string(),
  })
  .strict();

const alertWindowsDoc = z
  .object({
    apiVersion: z.literal('sloth.slok.dev/v1'),
    kind: z.literal('AlertWindows'),
    spec: z
      .object({
        sloPeriod: z.string(),
        page: z.object({ quick: windowDoc, slow: windowDoc }).strict(),
        ticket: z.object({ quick: windowDoc, slow: windowDoc }).strict(),
      })
      .strict(),
  })
  .strict();

/** Parse one AlertWindows document; throws VIGIA_ERR_CONFIG naming the file and field. */
export function parseAlertWindows(text: string, source: string): PeriodWindows {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: not YAML: ${(err as Error).message}`);
  }
  const r = alertWindowsDoc.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: ${i.path.join('.') || '(document)'}: ${i.message}`);
  }
  const s = r.data.spec;
  const one = (w: z.output<typeof windowDoc>, path: string): AlertWindow => {
    const shortMs = parseDuration(w.shortWindow, `${source}: spec.${path}.shortWindow`);
    const longMs = parseDuration(w.longWindow, `${source}: spec.${path}.longWindow`);
    if (shortMs >= longMs) throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: spec.${path}: the short window must be shorter than the long window`);
    return { errorBudgetPercent: w.errorBudgetPercent, shortMs, longMs };
  };
  const periodMs = parseDuration(s.sloPeriod, `${source}: spec.sloPeriod`);
  const windows: PeriodWindows = {
    periodMs,
    pageQuick: one(s.page.quick, 'page.quick'),
    pageSlow: one(s.page.slow, 'page.slow'),
    ticketQuick: one(s.ticket.quick, 'ticket.quick'),
    ticketSlow: one(s.ticket.slow, 'ticket.slow'),
  };
  for (const [name, w] of Object.entries({ 'page.quick': windows.pageQuick, 'page.slow': windows.pageSlow, 'ticket.quick': windows.ticketQuick, 'ticket.slow': windows.ticketSlow })) {
    if (w.longMs > periodMs) throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: spec.${name}.longWindow is longer than the SLO period`);
  }
  return windows;
}

/** A catalog from AlertWindows documents; a period defined twice is an error. */
export function windowsCatalog(docs: ReadonlyArray<{ text: string; source: string }>): PeriodWindows[] {
  const out: PeriodWindows[] = [];
  for (const d of docs) {
    const w = parseAlertWindows(d.text, d.source);
    if (out.some((o) => o.periodMs === w.periodMs)) throw new VigiaError('VIGIA_ERR_CONFIG', `${d.source}: the SLO period ${d.text.match(/sloPeriod:\s*(\S+)/)?.[1] ?? ''} is already defined by another file`);
    out.push(w);
  }
  return out;
}

/** The windows for a period, or VIGIA_ERR_CONFIG listing the periods the catalog has. */
export function windowsFor(periodMs: number, catalog: readonly PeriodWindows[] = DEFAULT_ALERT_WINDOWS): PeriodWindows {
  const w = catalog.find((c) => c.periodMs === periodMs);
  if (!w) {
    const have = catalog.map((c) => `${c.periodMs / D}d`).join(', ');
    throw new VigiaError('VIGIA_ERR_CONFIG', `no alert windows for an SLO period of ${plural(periodMs / D, 'day')} (have: ${have}); add an AlertWindows file for it (--alert-windows DIR)`);
  }
  return w;
}
