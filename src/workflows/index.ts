// The workflow bundle's entry: only workflow code and pure helpers are reachable from here.
export { syncWorkflow, cancelSignal, progressQuery } from './sync.ts';
