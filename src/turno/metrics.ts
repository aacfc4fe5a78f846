/** Every metric the turno role exposes, defined in one place on an injected registry. */
import { Counter, Histogram, type Registry } from 'prom-client';

/** The turno metric set. */
export interface TurnoMetrics {
  readonly requests: Counter<'route' | 'code'>;
  readonly duration: Histogram<'route'>;
  readonly storeErrors: Counter<'store' | 'code'>;
  readonly issued: Counter<'store'>;
}

/** Create the turno metrics on `registry`. */
export function createTurnoMetrics(registry: Registry): TurnoMetrics {
  return {
    requests: new Counter({
      name: 'vigia_turno_requests_total',
      help: 'HTTP requests answered, by route (turno, healthz, readyz, metrics, other) and status code.',
      labelNames: ['route', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'vigia_turno_request_duration_seconds',
      help: 'Time from request start to response end, by route.',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'vigia_turno_store_errors_total',
      help: 'Store operations that failed, by store kind and error code.',
      labelNames: ['store', 'code'],
      registers: [registry],
    }),
    issued: new Counter({
      name: 'vigia_turno_numbers_issued_total',
      help: 'Numbers handed out (200 answers of /turno/:id).',
      labelNames: ['store'],
      registers: [registry],
    }),
  };
}
