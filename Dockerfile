# syntax=docker/dockerfile:1
# Multi-stage build: compile with dev dependencies, ship only the runtime ones, run as a non-root user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json .swcrc nest-cli.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
COPY plugins ./plugins
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    TENANTFLOW_DATA_DIR=/var/lib/tenantflow
WORKDIR /app
RUN groupadd --system tenantflow \
 && useradd --system --gid tenantflow --home-dir /app --shell /usr/sbin/nologin tenantflow \
 && mkdir -p /var/lib/tenantflow && chown tenantflow:tenantflow /var/lib/tenantflow
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER tenantflow
EXPOSE 3000
VOLUME ["/var/lib/tenantflow"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--no-node-snapshot", "--enable-source-maps", "dist/src/main.js"]
