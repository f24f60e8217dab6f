# syntax=docker/dockerfile:1
# errata container images. Two targets:
#
#   docker build -t errata .                  # default: with the PostgreSQL 15 server
#                                             # binaries, for errata's embedded database
#   docker build --target slim -t errata:slim .   # the static binary alone (FROM scratch);
#                                             # needs DATABASE_URL
#
# Both run as the unprivileged user 65532 and keep their state in /data
# (ERRATA_DATA_DIR): mount a volume there. /data/pages (owned by 65532, so
# a new named volume mounted on it is writable) is the place for --out. Release images:
# ghcr.io/errata-tool/errata:<version> and ghcr.io/errata-tool/errata:<version>-slim.

ARG GO_VERSION=1.26

# ---- build: a static binary; the version comes from the Go build info.
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} \
    go build -trimpath -ldflags="-s -w" -o /out/errata ./cmd/errata \
 && mkdir -p /out/data/pages && chown -R 65532:65532 /out/data

# ---- slim: the binary, CA certificates (for api.github.com) and /data.
FROM scratch AS slim
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/errata /usr/local/bin/errata
COPY --from=build --chown=65532:65532 /out/data /data
ENV ERRATA_DATA_DIR=/data HOME=/data
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/errata"]
CMD ["--help"]

# ---- embedded (default): Debian slim with the PostgreSQL server binaries,
# so errata starts its embedded database in /data/postgres when no
# DATABASE_URL is given. The package's own cluster is not created. To keep
# the image small, no docs, man pages or translations are installed, and
# the JIT provider and LLVM's library (about 110 MB) are deleted: without
# them PostgreSQL runs queries without JIT, which errata does not need.
# (dpkg still lists libllvm14; do not install packages that use it on top.)
FROM debian:bookworm-slim AS embedded
RUN printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' > /etc/dpkg/dpkg.cfg.d/errata-slim \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/errata.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-15 \
 && rm -rf /usr/lib/postgresql/15/lib/llvmjit* /usr/lib/postgresql/15/lib/bitcode \
    /usr/lib/*-linux-gnu/libLLVM-14.so* /var/lib/apt/lists/* \
 && groupadd --gid 65532 errata \
 && useradd --uid 65532 --gid 65532 --home-dir /data --no-create-home --shell /usr/sbin/nologin errata \
 && mkdir -p /data/pages && chown -R errata:errata /data
COPY --from=build /out/errata /usr/local/bin/errata
ENV ERRATA_DATA_DIR=/data HOME=/data ERRATA_PG_BIN=/usr/lib/postgresql/15/bin
USER 65532:65532
WORKDIR /data
VOLUME /data
ENTRYPOINT ["/usr/local/bin/errata"]
CMD ["--help"]
