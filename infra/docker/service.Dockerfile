# syntax=docker/dockerfile:1
#
# One image recipe for all five Mesh services, built from the repository root:
#
#   docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=order -t mesh-order .
#
# (docker-compose.yml does this for every service.) Ignore rules live next to this file in
# service.Dockerfile.dockerignore, which BuildKit picks up for this Dockerfile.
#
# Stages: `build` installs the whole workspace from the lockfile, compiles the service and the
# workspace packages it depends on, then `pnpm deploy` copies the service with only its
# production dependencies (workspace packages included) into /prod. The runtime image gets
# /prod and nothing else: no compiler, no dev dependencies, no other service's code.

# Node 24 LTS, the exact release in .node-version; bookworm-slim has glibc (prebuilt native
# modules just work) at a fraction of the full image's size.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
ENV PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH \
    npm_config_store_dir=/pnpm/store \
    CI=true
WORKDIR /repo
# pnpm at the version package.json pins (`packageManager`), so the lockfile means the same here.
COPY package.json ./
RUN npm install --global --no-fund --no-audit \
      "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")"
# Download every dependency in the lockfile first: this layer is reused until the lockfile
# changes, whatever source file changed. The store is a BuildKit cache shared across builds.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=mesh-pnpm-store,target=/pnpm/store \
    pnpm fetch --frozen-lockfile
COPY . .
RUN --mount=type=cache,id=mesh-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline
# The service to build: gateway, order, payment, inventory, notification or storefront.
# Declared only here, after the steps every service shares: a build argument is part of the cache key of each RUN
# after its ARG, so declared earlier it would make the five builds of `docker compose up
# --build` install the workspace five times instead of sharing one set of layers.
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name>" >&2 && exit 1)
# The service and, first, the workspace packages it depends on (the trailing ... selects them).
RUN pnpm --filter "@mesh/${SERVICE}..." run build
# pnpm 10's `deploy` wants inject-workspace-packages; --legacy deploys this workspace as it is
# (https://pnpm.io/cli/deploy).
RUN --mount=type=cache,id=mesh-pnpm-store,target=/pnpm/store \
    pnpm --filter "@mesh/${SERVICE}" deploy --prod --legacy /prod
# Fail the build here rather than at start: the entry file must be there, and services with a
# database need their SQL migrations next to dist/ (they read join(__dirname, '..', 'migrations')).
RUN test -f /prod/dist/main.js \
 && { [ ! -d "services/${SERVICE}/migrations" ] || [ -d /prod/migrations ]; }

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and only readable by the app: a compromised process cannot rewrite its code.
COPY --from=build /prod ./
# The unprivileged user the node images ship with (uid 1000).
USER node
# Liveness from inside the container with Node's own fetch (no curl in a slim image). PORT is
# set per service by docker-compose.yml; /healthz checks the process only, never dependencies.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`,{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The telemetry preload must run before any application module is loaded, so it patches http,
# express, fastify, pg, ioredis, kafkajs and pino as they are first required. Node runs as
# PID 1 here; every service handles SIGTERM itself (graceful shutdown), so no init is needed.
CMD ["node", "--require", "@mesh/telemetry/register", "dist/main.js"]
