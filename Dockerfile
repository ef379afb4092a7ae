# Build with the dev dependencies, then run on a slim image holding the production dependencies only.
# Node.js 24, an LTS line (the service picks better-sqlite3 13 there; see the README).
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Compilers let better-sqlite3 build from source where no prebuilt binary matches this platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# HEALTH_PORT: the health check's own listener and thread, answered even under overload (not published;
# empty or 0: the check uses PORT).
ENV NODE_ENV=production DATA_DIR=/data HOST=0.0.0.0 PORT=4000 HEALTH_PORT=4099
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/server/dist ./server/dist
COPY --from=build /app/client/dist ./client/dist
# The volume starts from this folder, so the unprivileged user owns the database it holds.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000
# No --start-period: the service answers within a second, and dockerfilelint 1.8 misreads that option.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (Number(process.env.HEALTH_PORT) || process.env.PORT) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Node is PID 1 and handles SIGTERM itself (graceful close), so no shell or init wrapper in between.
CMD ["node", "server/dist/main.js"]
