/**
 * The base images pack generates Dockerfiles for, in one table so a reviewer can see (and update)
 * every pin at once. Policy: pin the runtime line and the distribution (Debian 12 "bookworm"),
 * prefer the slim variant, and let the project's own version file make the tag more specific.
 * Final stages of compiled languages use distroless images: no shell, no package manager, a
 * non-root user built in.
 */
export const BASE_IMAGES = {
  node: (version: string) => `node:${version}-bookworm-slim`,
  bun: (version: string) => `oven/bun:${version}-slim`,
  python: (version: string) => `python:${version}-slim-bookworm`,
  /** uv's own image, used only to copy the static `uv` binary from (astral's documented pattern). */
  uv: 'ghcr.io/astral-sh/uv:0.5.11',
  micromamba: 'mambaorg/micromamba:1.5.10-bookworm-slim',
  golang: (version: string) => `golang:${version}-bookworm`,
  /** Static binaries (Go with CGO_ENABLED=0): CA certificates, tzdata, user 65532, nothing else. */
  distrolessStatic: 'gcr.io/distroless/static-debian12:nonroot',
  /** Dynamically linked binaries needing glibc and libgcc (Rust). */
  distrolessCc: 'gcr.io/distroless/cc-debian12:nonroot',
  rust: (version: string) => `rust:${version}-slim-bookworm`,
  debianSlim: 'debian:bookworm-slim',
  maven: (java: string) => `maven:3.9-eclipse-temurin-${java}`,
  gradle: (java: string) => `gradle:8.10-jdk${java}`,
  jdk: (java: string) => `eclipse-temurin:${java}-jdk`,
  jre: (java: string) => `eclipse-temurin:${java}-jre`,
  ruby: (version: string) => `ruby:${version}-slim-bookworm`,
  /** nginx built to run as a non-root user (uid 101), listening on 8080. */
  nginx: 'nginxinc/nginx-unprivileged:1.27-alpine-slim',
} as const;
