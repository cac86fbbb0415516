// The workflow bundle's entry: only workflow code and pure helpers are reachable from here.
export { syncWorkflow, cancelSignal, progressQuery } from './sync.ts';
export { profileWorkflow, requestSyncSignal, cancelCurrentSignal, scheduleSignal, startSyncUpdate, pauseUpdate, resumeUpdate, stateQuery } from './profile.ts';
export { scheduledSyncWorkflow } from './scheduled.ts';
