# music-sync worker image. Node 24 runs the TypeScript sources directly (native type stripping), so
# there is no build step.
FROM node:24-slim

WORKDIR /app
RUN chown node:node /app
USER node

# Production dependencies only: the image runs the worker, not the tests or the linters.
# --ignore-scripts: the project's own `prepare` compiles the client library with tsc (a dev
# dependency, absent here) and the worker does not use that output. No dependency needs its install
# script at run time: @temporalio/core-bridge ships its native bridge prebuilt, @swc/core (which
# bundles workflow code) finds its binary in its platform package, protobufjs's only checks its CLI's
# versions, and embedded-postgres's links the bundled server's libraries, which go unused because
# the stack sets DATABASE_URL.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .

ENV NODE_ENV=production

# /healthz is served beside /metrics on MUSIC_SYNC_METRICS_LISTEN (127.0.0.1:9464 unless set; the
# compose stack sets 0.0.0.0:9464 so Prometheus can read it). The slim image has no curl. A worker run
# with another port, or with MUSIC_SYNC_METRICS=0, needs its own healthcheck (or none).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "bin/music-sync.js", "worker"]
