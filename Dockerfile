# Foresight processor and committer image (one image, the command picks the service).
# Build: docker build -t foresight .   Run: docker run foresight processor
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# git: the committer's local backend (and the processor's policy checkout) use it
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production FORESIGHT_HTTP_HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY models ./models
COPY src/windows/lua ./src/windows/lua
# the GitOps volume of docker-compose.yml mounts here (a new named volume takes this ownership)
RUN mkdir -p /gitops && chown node:node /gitops
USER node
EXPOSE 9464
ENTRYPOINT ["node", "bin/foresight.js"]
CMD ["processor"]
