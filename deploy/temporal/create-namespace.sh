#!/bin/sh
# One-shot: waits until the Temporal server answers, then creates the namespace music-sync uses
# (`default` unless TEMPORAL_NAMESPACE says otherwise) if it does not exist yet. Run by the
# `temporal-namespace` service in temporalio/admin-tools; the worker starts once it has succeeded.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ATTEMPTS=60

attempt=1
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$ATTEMPTS" ]; then
    echo "temporal-namespace: the server at $ADDRESS did not become healthy" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "temporal-namespace: $NAMESPACE exists"
  exit 0
fi
# A server that has just started may refuse for a moment while its namespace registry loads.
attempt=1
until temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE"; do
  if temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then break; fi
  if [ "$attempt" -ge "$ATTEMPTS" ]; then
    echo "temporal-namespace: could not create $NAMESPACE" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
echo "temporal-namespace: $NAMESPACE created"
