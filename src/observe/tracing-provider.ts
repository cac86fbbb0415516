// The OpenTelemetry side of tracing.ts, loaded only when tracing is on: a tracer provider that batches
// spans to the configured exporters, Temporal's client and activity interceptors that open spans and
// carry the trace context in the headers of every start, update, signal and activity, and the sink
// that workflow spans (tracing-workflow.ts) arrive by.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { TraceExporterName, TracingSettings } from '../app/settings.ts';
import { StderrSpanExporter } from './stderr-span-exporter.ts';
import type { Tracing } from './tracing.ts';

/** The context manager and propagator are process-wide in OpenTelemetry's API; the first provider sets
 * them, and every provider after it gives its tracers to the interceptors explicitly. */
let registered = false;

function exporterOf(name: TraceExporterName): SpanExporter {
  // The OTLP exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) by itself.
  return name === 'otlp' ? new OTLPTraceExporter() : new StderrSpanExporter();
}

export function createTracing(settings: TracingSettings): Tracing {
  const resource = Resource.default().merge(new Resource({ 'service.name': settings.serviceName }));
  const processors = settings.exporters.map((name) => new BatchSpanProcessor(exporterOf(name)));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  if (!registered) {
    provider.register();
    registered = true;
  }
  // Temporal's own instrumentation names, so spans read as they do in Temporal's documentation.
  const clientTracer = provider.getTracer('@temporalio/interceptor-client');
  const activityTracer = provider.getTracer('@temporalio/interceptor-activity');
  // Spans made in the workflow sandbox arrive ended, through the sink; each processor takes them as its own.
  const exporters = processors.map((processor) => makeWorkflowExporter(processor, resource).export);
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: clientTracer })] },
    worker: {
      activityInterceptors: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: activityTracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      sinks: {
        exporter: {
          export: { fn: (info, spans) => exporters.forEach((exporter) => exporter.fn(info, spans)) },
        },
      },
    },
    shutdown: () => provider.shutdown(),
  };
}
