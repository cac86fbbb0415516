// `OTEL_TRACES_EXPORTER=console`: spans as JSON lines on stderr. OpenTelemetry's own console exporter
// writes to stdout, which carries the CLI's results (`--json`); stderr is where everything else goes.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** ExportResultCode.SUCCESS of @opentelemetry/core, which this project does not depend on directly. */
const SUCCESS = 0;

export class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    for (const span of spans) {
      const context = span.spanContext();
      process.stderr.write(`${JSON.stringify({
        traceId: context.traceId,
        spanId: context.spanId,
        parentSpanId: span.parentSpanId,
        name: span.name,
        kind: span.kind,
        startTime: span.startTime,
        duration: span.duration,
        status: span.status,
        attributes: span.attributes,
      })}\n`);
    }
    done({ code: SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
