# Foresight processor and committer image (one image, the command picks the service).
# Build: docker build -t foresight .   Run: docker run foresight processor
# GPU image (the models on CUDA): docker build --target gpu -t foresight:gpu .
#   Run: docker run --gpus all -e FORESIGHT_EXECUTION_PROVIDERS=cuda,cpu foresight:gpu processor
#   Its builder downloads onnxruntime-node's CUDA 12 provider (it must reach GitHub/NuGet);
#   without a usable GPU at run time the models fall back to the CPU with one log line.
#   Where NuGet is out of reach but PyPI is not: scripts/cuda-provider.sh takes the provider libraries from the
#   onnxruntime-gpu wheel instead, built for CUDA 13 (driver >= 580), not this target's CUDA 12: it needs a CUDA 13
#   runtime (the configuration measured on an H200, README: Models).
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npm run build && npm prune --omit=dev

# what both images run: the built app and its runtime files
FROM scratch AS app
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
COPY package.json /app/
COPY bin /app/bin
COPY schemas /app/schemas
COPY models /app/models
COPY src/windows/lua /app/src/windows/lua

# onnxruntime-node's CUDA execution provider (libonnxruntime_providers_cuda.so and friends):
# not in the npm package, downloaded by its own install script into its bin folder
FROM build AS cuda-provider
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
  && ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ | grep -q providers_cuda

# CUDA 12 + cuDNN 9 runtime libraries (what the CUDA provider links against), Node 20 from its image
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS gpu
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production FORESIGHT_HTTP_HOST=0.0.0.0 FORESIGHT_EXECUTION_PROVIDERS=cuda,cpu
COPY --from=app /app /app
COPY --from=cuda-provider /app/node_modules/onnxruntime-node/bin /app/node_modules/onnxruntime-node/bin
WORKDIR /app
RUN mkdir -p /gitops && chown ubuntu:ubuntu /gitops
USER ubuntu
EXPOSE 9464
ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/foresight.js"]
CMD ["processor"]

# the default image: CPU only (the last stage, so a plain `docker build` gives it)
FROM node:20-bookworm-slim
# git: the committer's local backend (and the processor's policy checkout) use it
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production FORESIGHT_HTTP_HOST=0.0.0.0
COPY --from=app /app /app
WORKDIR /app
# the GitOps volume of docker-compose.yml mounts here (a new named volume takes this ownership)
RUN mkdir -p /gitops && chown node:node /gitops
USER node
EXPOSE 9464
ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/foresight.js"]
CMD ["processor"]
