# syntax=docker/dockerfile:1
# instantly-rbac as a container image: a static (musl) binary on a small
# Debian runtime that also has what the CI scripts need (bash, jq, curl).
# Runs as a non-root user. Used by examples/ci/gitlab-ci.yml and
# examples/ci/drift-cronjob.yaml:
#   docker build -t ghcr.io/OWNER/instantly-rbac:0.1.0 .
#   docker run --rm -e INSTANTLY_API_KEY -v "$PWD:/work" ghcr.io/OWNER/instantly-rbac:0.1.0 \
#     instantly-rbac plan -f access/workspace.yaml

FROM rust:1-bookworm AS build
# musl-tools: the C parts of the TLS stack (aws-lc, ring) built for musl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools cmake \
 && rm -rf /var/lib/apt/lists/*
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN case "${TARGETARCH:-amd64}" in \
      arm64) target=aarch64-unknown-linux-musl ;; \
      *) target=x86_64-unknown-linux-musl ;; \
    esac \
 && rustup target add "$target" \
 && cargo build --release --locked --bin instantly-rbac --target "$target" \
 && cp "target/$target/release/instantly-rbac" /instantly-rbac \
 && /instantly-rbac --version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl jq \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin rbac
COPY --from=build /instantly-rbac /usr/local/bin/instantly-rbac
COPY examples/ci/scripts /opt/instantly-rbac/ci/scripts
USER 10001:10001
WORKDIR /home/rbac
# No ENTRYPOINT: CI systems (GitLab) run their script in the image's shell.
CMD ["instantly-rbac", "--help"]
