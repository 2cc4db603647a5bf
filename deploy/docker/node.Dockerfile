# The inference node (gpu-node/) on a CUDA 12 + cuDNN 9 runtime, which onnxruntime-node's CUDA
# execution provider needs. Build it from the repository root:
#
#   docker build -f deploy/docker/node.Dockerfile -t qwen3-embedding-node .
#
# The model folder comes from a volume at /models (MODEL_DIR: a Hugging Face folder as
# published, e.g. Qwen3-Embedding-0.6B with its onnx/ export) and NODE_SECRET from the
# orchestrator (deploy/k8s/node-secret.yaml). docs/deploying.md walks through it.

# Dependencies, installed where Node is. The CUDA provider's libraries are not in
# onnxruntime-node's npm package, and the repository's .npmrc runs no install script:
# `npm run cuda:install` runs onnxruntime-node's own script to fetch them.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY scripts/install-cuda-provider.mjs ./scripts/
RUN npm ci --omit=dev && npm run cuda:install

FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
# Node's own binary; the node needs nothing else from its image.
COPY --from=dependencies /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY shared ./shared
COPY gpu-node ./gpu-node
# Owned by root, run by a user that cannot change them.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin embedder
# CUDA only: a pod whose GPU does not load fails to start instead of serving from the CPU.
ENV NODE_ENV=production \
    NODE_HOST=0.0.0.0 \
    NODE_PORT=8081 \
    MODEL_DIR=/models \
    EXECUTION_PROVIDERS=cuda \
    SHUTDOWN_TIMEOUT_MS=30000
VOLUME /models
USER 10001
EXPOSE 8081
# /ready is 200 once the model is loaded and warmed up, and 503 while draining on SIGTERM.
HEALTHCHECK --interval=10s --timeout=3s --start-period=600s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.NODE_PORT}/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "gpu-node/main.ts"]
