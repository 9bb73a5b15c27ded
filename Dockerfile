# One image for both roles: `controller` (Deployment) and `node-agent` (DaemonSet).
#   docker build -t ecs-eni-controller:$(node -p 'require("./package.json").version') .
# Pin the base images by digest in a release pipeline (node:24-slim@sha256:...).

# --- build: compile TypeScript with the project's pinned toolchain -------------------------
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only, without the toolchain ----------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------
FROM node:24-slim
# iproute2: the node agent changes links, addresses, routes and rules with `ip`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which the compiled ESM needs.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Non-root by default (the uid the chart's controller runs as); the node-agent DaemonSet runs the
# same image as root with CAP_NET_ADMIN only.
USER 65532:65532
ENTRYPOINT ["node", "dist/cli.js"]
