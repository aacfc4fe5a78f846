/**
 * Prometheus metrics plumbing. Each module defines its own metrics in one place and receives the
 * registry; this file only creates registries and adds the process/runtime metrics every role exposes
 * (process CPU and memory, event-loop lag) under prom-client's standard names.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

/** A fresh registry with the standard process and Node.js runtime metrics. */
export function createRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

export type { Registry };
