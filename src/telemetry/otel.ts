/**
 * OpenTelemetry, set up once per process: a tracer provider (W3C trace context propagator,
 * spans exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set) and a meter provider
 * read by a Prometheus exporter that serves through our own HTTP endpoint (telemetry/http.ts).
 */
import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface Telemetry {
  tracer: Tracer;
  meter: Meter;
  prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

export function setupTelemetry(service: string, otlpEndpoint?: string): Telemetry {
  if (current) return current;
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? `foresight-${service}`, [ATTR_SERVICE_VERSION]: '0.1.0' });
  const spanProcessors: SpanProcessor[] = [];
  if (otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` })));
  }
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register(); // sets the global provider, AsyncLocalStorage context and W3C propagator

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);

  current = {
    tracer: trace.getTracer('foresight', '0.1.0'),
    meter: metrics.getMeter('foresight', '0.1.0'),
    prometheus,
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
  return current;
}
