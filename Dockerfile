# jkoflow-server, the jkoflow CLI and jkoflow-train-worker on Debian 12, CPU
# only (Debian's LibTorch 1.13). deploy/build-image.sh builds it offline with
# buildah; `docker build -t jkoflow .` works too. The GPU variant is
# deploy/docker/Dockerfile.cuda.
#
#   runtime user: jkoflow (uid/gid 10001), no shell, no root
#   volume:       /var/lib/jkoflow  (models/, jobs/, data/)
#   ports:        50051 gRPC, 9464 Prometheus /metrics
ARG BASE_IMAGE=debian:12

# --- build stage: the toolchain and -dev packages, then the three targets ---
FROM ${BASE_IMAGE} AS build
# The same package list as a developer machine (deploy/install-deps.sh); it
# is copied alone first so that the layer survives source edits.
COPY deploy/install-deps.sh /src/deploy/install-deps.sh
RUN bash /src/deploy/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
# Only the server, the CLI and the training worker: no tests, benchmarks or
# fuzzers.
RUN CCACHE_DISABLE=1 cmake -S /src -B /build -G Ninja \
      -DCMAKE_BUILD_TYPE=Release \
 && CCACHE_DISABLE=1 cmake --build /build --target jkoflow_server jkoflow_cli \
      jkoflow_train_worker \
 && strip /build/server/jkoflow-server /build/client/jkoflow \
      /build/worker/jkoflow-train-worker \
 && /build/server/jkoflow-server --help 2>&1 | grep -q -- '--listen' \
 && /build/client/jkoflow --help >/dev/null \
 && /build/worker/jkoflow-train-worker --help | grep -q -- '--rendezvous'

# --- runtime stage: the shared libraries only -------------------------------
FROM ${BASE_IMAGE}
COPY deploy/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
      /tmp/install-deps.sh
COPY --from=build /build/server/jkoflow-server /build/client/jkoflow \
     /build/worker/jkoflow-train-worker /usr/local/bin/
# Fail the build, not the first start, when a library is missing.
RUN ! ldd /usr/local/bin/jkoflow-server /usr/local/bin/jkoflow \
      /usr/local/bin/jkoflow-train-worker \
      | grep 'not found'

RUN groupadd --gid 10001 jkoflow \
 && useradd --uid 10001 --gid 10001 --no-create-home \
      --home-dir /var/lib/jkoflow --shell /usr/sbin/nologin jkoflow \
 && mkdir -p /var/lib/jkoflow/models /var/lib/jkoflow/jobs \
      /var/lib/jkoflow/data \
 && chown -R 10001:10001 /var/lib/jkoflow
VOLUME /var/lib/jkoflow
WORKDIR /var/lib/jkoflow
USER 10001:10001

# OMP_WAIT_POLICY=PASSIVE: idle OpenMP workers sleep instead of spinning, so
# an idle replica uses no CPU.
ENV OMP_WAIT_POLICY=PASSIVE
EXPOSE 50051 9464
# Serving (SERVING from grpc.health.v1, which stays open when
# --auth_token_file is set). With TLS, override it or rely on the
# orchestrator's probes (deploy/k8s uses Kubernetes' gRPC probes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["jkoflow", "--timeout=3", "health", "--server=127.0.0.1:50051"]
# SIGTERM drains in-flight calls for --drain_timeout (30s) and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["jkoflow-server"]
CMD ["--listen=0.0.0.0:50051", \
     "--metrics_listen=0.0.0.0:9464", \
     "--model_dir=/var/lib/jkoflow/models", \
     "--job_dir=/var/lib/jkoflow/jobs", \
     "--data_dir=/var/lib/jkoflow/data"]
