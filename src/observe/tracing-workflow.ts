// The workflow interceptors of tracing, bundled with the workflow code whether tracing is on or not, so
// that no run's replay ever depends on a worker's settings.
//
// Temporal's OpenTelemetry interceptors wrap activity results, child results and handlers in extra
// promise steps: code that meets them and code that does not can order its commands differently
// (an update's answer before or after the next activity), which is a non-determinism error for a
// run recorded one way and replayed the other. Profiles' actors live for good, so turning tracing
// on or off would reach runs recorded the other way. Each run therefore decides once, by the headers
// it was started with: a run started with a trace (by a client or parent with tracing on) has
// Temporal's interceptors for its whole life; one started without has none, only the headers below.
//
// And what a run does for a request joins the request's trace. Temporal's interceptors open each
// span in the context the run started with; for an actor, which lives across many syncs, that would
// put every sync it starts in the trace of whoever first started the actor, under a span that ends
// only when the actor continues as new. Instead:
// - while a start-now update (`startSync`) is handled, the activities and the child sync it starts
//   are in the trace of the client that asked;
// - a sync asked for by signals (`requestSync`: the folder watcher, a schedule, push notifications,
//   the client's requests) is in the trace of the first of those requests it answers.
// In a run started without a trace this is only the request's trace header passed on to the activity
// or child, so a sync asked of an actor started before tracing was on is traced all the same.
import * as otel from '@opentelemetry/api';
import type { Payload } from '@temporalio/common';
import { extractContextFromHeaders, TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import {
  OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import type { Headers, WorkflowInterceptors } from '@temporalio/workflow';
import { REQUEST_SYNC_SIGNAL, START_SYNC_UPDATE } from '../contract/actor.ts';

interface Traced {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
}

export const interceptors = (): WorkflowInterceptors => {
  // One instance per run. Temporal's interceptors, made only for a run started with a trace.
  let traced: Traced | undefined;
  // The trace header of the request this run is doing the work of.
  let update: Payload | undefined;
  let requested: Payload | undefined;

  /** Calls `next` as the work of the request being served: in its trace context (traced runs, whose
   * interceptors then open the span there), or with its header (runs without). */
  const forRequest = <I extends { headers: Headers }, T>(input: I, next: (input: I) => T): T => {
    const header = update ?? requested;
    if (!header) return next(input);
    if (!traced) return next({ ...input, headers: { ...input.headers, [TRACE_HEADER]: header } });
    const context = extractContextFromHeaders({ [TRACE_HEADER]: header });
    return context ? otel.context.with(context, () => next(input)) : next(input);
  };

  return {
    inbound: [
      {
        execute(input, next) {
          if (input.headers[TRACE_HEADER] !== undefined) {
            traced = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor(), internals: new OpenTelemetryInternalsInterceptor() };
          }
          return traced ? traced.inbound.execute(input, next) : next(input);
        },
        handleSignal(input, next) {
          if (input.signalName === REQUEST_SYNC_SIGNAL) requested ??= input.headers[TRACE_HEADER];
          return traced ? traced.inbound.handleSignal(input, next) : next(input);
        },
        handleUpdate(input, next) {
          if (input.name !== START_SYNC_UPDATE) return traced ? traced.inbound.handleUpdate(input, next) : next(input);
          const header = input.headers[TRACE_HEADER];
          if (header) update = header;
          const handled = traced ? traced.inbound.handleUpdate(input, next) : next(input);
          // The caller awaits the same promise, unchanged; this only forgets the update once it is answered.
          const done = () => {
            if (update === header) update = undefined;
          };
          handled.then(done, done);
          return handled;
        },
        validateUpdate: (input, next) => (traced ? traced.inbound.validateUpdate(input, next) : next(input)),
        handleQuery: (input, next) => (traced ? traced.inbound.handleQuery(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => forRequest(input, (i) => (traced ? traced.outbound.scheduleActivity(i, next) : next(i))),
        scheduleLocalActivity: (input, next) => forRequest(input, (i) => (traced ? traced.outbound.scheduleLocalActivity(i, next) : next(i))),
        startChildWorkflowExecution(input, next) {
          const started = forRequest(input, (i) => (traced ? traced.outbound.startChildWorkflowExecution(i, next) : next(i)));
          // The requests so far are answered by this sync or wait for a later one, in the actor's own trace.
          requested = undefined;
          return started;
        },
        continueAsNew: (input, next) => (traced ? traced.outbound.continueAsNew(input, next) : next(input)),
        signalWorkflow: (input, next) => (traced ? traced.outbound.signalWorkflow(input, next) : next(input)),
        startNexusOperation: (input, next) => (traced ? traced.outbound.startNexusOperation(input, next) : next(input)),
        getLogAttributes: (input, next) => (traced ? traced.outbound.getLogAttributes(input, next) : next(input)),
        getMetricTags: (input, next) => (traced ? traced.outbound.getMetricTags(input, next) : next(input)),
      },
    ],
    internals: [
      {
        dispose: (input, next) => (traced ? traced.internals.dispose(input, next) : next(input)),
      },
    ],
  };
};
