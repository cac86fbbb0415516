# music-sync worker image. Node 24 runs the TypeScript sources directly
# (native type stripping), so there is no build step.
FROM node:24-slim

WORKDIR /app
RUN chown node:node /app
USER node

# Dependencies first for better layer caching. Plain `npm ci` (dev dependencies
# included) keeps the image in lockstep with what the tests run against.
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .

# Set only after `npm ci`: NODE_ENV=production would make npm skip devDependencies.
ENV NODE_ENV=production

CMD ["node", "bin/music-sync.js", "worker"]
