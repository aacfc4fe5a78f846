/**
 * Optional OpenTelemetry tracing, switched on by the standard OTLP environment variables so any OTLP
 * backend works (an OpenTelemetry Collector, Honeycomb with OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY,
 * ...). Off by default, and then it costs the hot path one `if`. The SDK is loaded lazily only when on.
 *
 * The edge (a command's config) decides whether tracing is on with tracingFromEnv(); the OTLP exporter
 * itself reads the endpoint/headers/timeout variables, as the specification defines them.
 */
import type { Span, Tracer } from '@opentelemetry/api';

/** Tracing settings parsed at the edge. */
export interface TracingConfig {
  readonly enabled: boolean;
  readonly serviceName: string;
  /** Fraction of root requests sampled (OTEL_TRACES_SAMPLER_ARG with a ratio sampler; default 1). */
  readonly sampleRatio: number;
}

/** Read the standard OTEL_* variables from `env` (called by commands at the edge only). */
export function tracingFromEnv(env: Readonly<Record<string, string | undefined>>, defaultService: string): TracingConfig {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
  return {
    enabled: Boolean(endpoint) && !disabled,
    serviceName: env.OTEL_SERVICE_NAME || defaultService,
    sampleRatio: Number.isFinite(arg) && arg >= 0 && arg <= 1 && /ratio/.test(env.OTEL_TRACES_SAMPLER ?? '') ? arg : 1,
  };
}

/** Starts server spans that continue an incoming W3C `traceparent`. */
export interface RequestTracer {
  /** Start a SERVER span named `name` as a child of the caller's trace context, if any. */
  startServerSpan(name: string, headers: Readonly<Record<string, string | string[] | undefined>>, attributes: Record<string, string | number>): Span;
  /** Flush pending spans and stop exporting. */
  shutdown(): Promise<void>;
}

/** Create the tracer when `config.enabled`, else undefined. */
export async function createRequestTracer(config: TracingConfig): Promise<RequestTracer | undefined> {
  if (!config.enabled) return undefined;
  const [{ SpanKind, ROOT_CONTEXT, defaultTextMapGetter }, { W3CTraceContextPropagator }, sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor(new OTLPTraceExporter())],
  });
  const tracer: Tracer = provider.getTracer('vigia');
  const propagator = new W3CTraceContextPropagator();
  return {
    startServerSpan: (name, headers, attributes) => {
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    },
    shutdown: () => provider.shutdown(),
  };
}
