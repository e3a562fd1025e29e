#!/usr/bin/env bash
# Build and start a real Dagger engine from package registries only (Debian, the Go module
# proxy, PyPI), with no container registry. Idempotent: a second run with nothing changed
# only checks that everything is up. Prints the environment a shell needs (also written to
# .cache/engine/env, which the Makefile includes).
#
# Steps: Debian packages -> dockerd -> Go build of the pinned Dagger engine + helpers and our
# session command -> debootstrapped debian:bookworm-slim -> engine image -> engine container
# (with the local registry inside it) -> registry seeded with debian:bookworm-slim, for amd64 and,
# debootstrapped under QEMU user-mode (registered here), arm64.
set -euo pipefail

DAGGER_VERSION=v0.21.8          # = dagger.json engineVersion, requirements/module.in (a test checks)
GO_TOOLCHAIN=go1.26.5           # v0.21.8 + Go >= 1.26.6 drops CLI-engine connections after 30 s
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ENGINE_NAME=${DAGGER_ENGINE_NAME:-dagger-engine}
ENGINE_IMAGE=dagger-engine:${DAGGER_VERSION}
CA_DIR=${DAGGER_ENGINE_CA_DIR:-/usr/local/share/ca-certificates}   # *.crt the engine trusts
STATE_VOLUME=${DAGGER_ENGINE_STATE:-dagger-engine-state}            # its cache; one engine per volume
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ENGINE_CACHE:-$ROOT/.cache/engine}
SYSCACHE=/var/cache/jupyter-spark-images   # survives fresh clones on the same machine
FOREIGN_ARCH=arm64                          # built under emulation (QEMU user-mode) beside amd64
QEMU_AARCH64=/usr/libexec/qemu-binfmt/aarch64-binfmt-P
BINFMT=/proc/sys/fs/binfmt_misc
BIN=$SYSCACHE/bin-$DAGGER_VERSION

die() { echo "engine: $*" >&2; exit 1; }
log() { echo "engine: $*" >&2; }
# wait_for SECONDS WHAT CMD...: run CMD until it succeeds, or die after SECONDS.
wait_for() {
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timed out after ${limit}s waiting for $what"
    sleep 1
  done
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v skopeo >/dev/null || missing+=(skopeo)  # the archive tests load with skopeo and podman too
  command -v podman >/dev/null || missing+=(podman)
  [ -e "$QEMU_AARCH64" ] || missing+=(qemu-user-static binfmt-support)   # arm64 images, emulated
  go_usable || missing+=(golang-go)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
      >"$CACHE/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed (see $CACHE/apt.log)"
  fi
  go_usable || bootstrap_go
}

# go_usable: a go that can switch itself to $GO_TOOLCHAIN (Go >= 1.21).
go_usable() {
  command -v go >/dev/null || return 1
  local v; v=$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  [ -n "$v" ] && [ "$v" -ge 21 ]
}

# bootstrap_go: Debian 12's Go (1.19) cannot switch toolchains, but it can fetch the pinned
# toolchain as the module golang.org/toolchain from the Go module proxy (checksum-verified).
bootstrap_go() {
  local dir
  log "fetching $GO_TOOLCHAIN with Debian's Go from the Go module proxy"
  dir=$(GOFLAGS=-modcacherw go mod download -json \
        "golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$(dpkg --print-architecture)" \
        | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') || die "go mod download of $GO_TOOLCHAIN failed"
  [ -n "$dir" ] || die "go mod download of $GO_TOOLCHAIN gave no directory"
  chmod -R u+x "$dir/bin" "$dir/pkg/tool"   # module zips carry no exec bits
  export PATH="$dir/bin:$PATH"
  go_usable || die "$dir/bin/go is not a usable Go toolchain"
}

start_docker() {
  docker info >/dev/null 2>&1 && return
  log "starting dockerd"
  nohup dockerd >"$CACHE/dockerd.log" 2>&1 &
  wait_for 60 "dockerd (log: $CACHE/dockerd.log)" docker info
}

# build_binaries: the engine from v0.21.8's source in the Go module cache, with three
# build-time edits that drop what needs modules the proxy refuses (docs/offline.md).
build_binaries() {
  local stamp
  stamp=$( { cat "$ROOT"/offline/engine/go.mod "$ROOT"/offline/engine/go.sum "$ROOT"/offline/engine/idtui/*.go \
             "$ROOT"/offline/engine/cmd/*/*.go "$ROOT"/offline/engine/distconsts/*; echo "$DAGGER_VERSION $GO_TOOLCHAIN";
             declare -f build_binaries patch_engine_source; } | sha256sum | cut -c1-16)
  [ -f "$BIN/.stamp" ] && [ "$(cat "$BIN/.stamp")" = "$stamp" ] && return
  log "building Dagger $DAGGER_VERSION engine, helpers and session command (cold: ~5 min)"
  export GOTOOLCHAIN=$GO_TOOLCHAIN CGO_ENABLED=0 GOFLAGS=-mod=mod
  # zips served without a checksum-database entry: verified against go.sum instead
  export GONOSUMDB=github.com/vito,github.com/jedevc,go.etcd.io/bbolt
  local src work=$CACHE/src
  src=$(cd "$ROOT/offline/engine" && GOWORK=off go mod download -json github.com/dagger/dagger \
        | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') || die "go mod download github.com/dagger/dagger failed"
  rm -rf "$work" && mkdir -p "$work" && cp -r "$src" "$work/dagger" && chmod -R u+w "$work/dagger"
  patch_engine_source "$work/dagger"
  printf 'go 1.26.1\n\nuse %s\n\nreplace github.com/dagger/dagger %s => %s\n' \
    "$ROOT/offline/engine" "$DAGGER_VERSION" "$work/dagger" > "$work/go.work"
  local ldflags="-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION"
  mkdir -p "$BIN"
  (cd "$ROOT/offline/engine" && GOWORK=$work/go.work GOFLAGS= go build -trimpath -tags dfexcludepatterns,dfparents \
      -ldflags "$ldflags" -o "$BIN/" github.com/dagger/dagger/cmd/engine github.com/dagger/dagger/cmd/init \
      github.com/dagger/dagger/cmd/dialstdio github.com/dagger/dagger/cmd/dnsname ./cmd/dagger-session) \
    >"$CACHE/go-build.log" 2>&1 || die "go build failed: $(grep -v '^go: downloading' "$CACHE/go-build.log" | head -3 | tr '\n' ' ')"
  echo "$stamp" > "$BIN/.stamp"
}

patch_engine_source() {
  local d=$1
  # 1. Dang module SDK: github.com/vito/dang/v2 is not served; keep the v1 implementation.
  sed -i -e '/dangv2 "github.com\/dagger\/dagger\/core\/sdk\/dang\/v2"/d' \
         -e 's/return dangv2.Impl{}/return dangv1.Impl{}/' "$d/core/sdk/dang_sdk.go"
  # 2. Terminal UI (github.com/vito/tuist, midterm are not served): our small stand-in package.
  rm -rf "$d/dagql/idtui" && mkdir -p "$d/dagql/idtui" && cp "$ROOT/offline/engine/idtui/idtui.go" "$d/dagql/idtui/"
  # 3. Log scrubbing used one midterm constant: the ANSI reset sequence it stands for.
  sed -i -e '/"github.com\/vito\/midterm"/d' -e 's/midterm.Reset.Render()/"\\x1b[0m"/' "$d/util/scrub/scrub.go"
  grep -q 'dangv2' "$d/core/sdk/dang_sdk.go" && die "patch 1 did not apply to $DAGGER_VERSION" || true
  grep -q 'midterm' "$d/util/scrub/scrub.go" && die "patch 3 did not apply to $DAGGER_VERSION" || true
}

# debian_image: debian:bookworm-slim from debootstrap, for the engine image and the registry seed.
debian_image() {
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 && return
  log "debootstrapping debian:$DEBIAN_SUITE-slim (~1 min)"
  local rootfs=$SYSCACHE/rootfs-$DEBIAN_SUITE
  rm -rf "$rootfs"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || die "debootstrap failed (see $CACHE/debootstrap.log)"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  tar -C "$rootfs" -c . | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null || die "docker import of the rootfs failed"
  rm -rf "$rootfs"
}

# enable_emulation: arm64 binaries run through QEMU user-mode, registered with the kernel with the
# F flag (the interpreter is opened once, at registration), so it works inside the engine's
# containers too. Registrations do not survive a reboot: checked on every run.
enable_emulation() {
  [ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT" \
    || die "cannot mount binfmt_misc on $BINFMT (needed to run arm64 builds under QEMU)"
  [ -e "$BINFMT/qemu-aarch64" ] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 \
    || die "update-binfmts --enable qemu-aarch64 failed"
  grep -q '^flags: .*F' "$BINFMT/qemu-aarch64" \
    || die "qemu-aarch64 is registered without the F flag: $(grep flags "$BINFMT/qemu-aarch64")"
}

# foreign_debian_image: debian:bookworm-slim for arm64 (debootstrap runs its second stage under
# QEMU), as an OCI archive the registry seed reads; podman import records the architecture.
foreign_debian_image() {
  local archive=$SYSCACHE/debian-$DEBIAN_SUITE-slim-$FOREIGN_ARCH.oci.tar
  [ -s "$archive" ] && return
  log "debootstrapping debian:$DEBIAN_SUITE-slim for $FOREIGN_ARCH under emulation (~2 min)"
  local rootfs=$SYSCACHE/rootfs-$DEBIAN_SUITE-$FOREIGN_ARCH ref=localhost/debian-$FOREIGN_ARCH:$DEBIAN_SUITE-slim
  rm -rf "$rootfs"
  debootstrap --arch="$FOREIGN_ARCH" --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" \
    >"$CACHE/debootstrap-$FOREIGN_ARCH.log" 2>&1 || die "debootstrap failed (see $CACHE/debootstrap-$FOREIGN_ARCH.log)"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  tar -C "$rootfs" --numeric-owner -c . | podman import -q --arch "$FOREIGN_ARCH" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$ref" >/dev/null || die "podman import of the $FOREIGN_ARCH rootfs failed"
  podman save -q --format oci-archive -o "$archive.partial" "$ref" && mv "$archive.partial" "$archive" \
    || die "podman save of $ref failed"
  podman rmi -f "$ref" >/dev/null 2>&1 || true
  rm -rf "$rootfs"
}

# seed_archives: where offline/seed_registry.py finds the emulated platform's base.
seed_archives() {
  ln -sfn "$SYSCACHE/debian-$DEBIAN_SUITE-slim-$FOREIGN_ARCH.oci.tar" "$CACHE/debian_$DEBIAN_SUITE-slim-$FOREIGN_ARCH.oci.tar"
}

engine_image() {
  local ctx=$CACHE/image want
  rm -rf "$ctx" && mkdir -p "$ctx/bin"
  cp "$ROOT"/offline/engine/{Dockerfile,entrypoint.sh,engine.toml,engine.json,registry.yml} "$ctx/"
  cp "$BIN"/{engine,init,dialstdio,dnsname} "$ctx/bin/"
  want=$( (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum; docker image inspect -f '{{.Id}}' debian:bookworm-slim) | sha256sum | cut -c1-16)
  [ "$(docker image inspect -f '{{index .Config.Labels "inputs"}}' "$ENGINE_IMAGE" 2>/dev/null)" = "$want" ] && return
  log "building image $ENGINE_IMAGE"
  docker build -q --label "inputs=$want" -t "$ENGINE_IMAGE" "$ctx" >"$CACHE/docker-build.log" 2>&1 \
    || die "docker build of the engine image failed (see $CACHE/docker-build.log)"
}

start_engine() {
  local image_id running_id
  image_id=$(docker image inspect -f '{{.Id}}' "$ENGINE_IMAGE")
  running_id=$(docker inspect -f '{{.Image}}' "$ENGINE_NAME" 2>/dev/null || true)
  if [ "$running_id" = "$image_id" ] && [ "$(docker inspect -f '{{.State.Running}}' "$ENGINE_NAME")" = true ]; then
    return
  fi
  docker rm -f "$ENGINE_NAME" >/dev/null 2>&1 || true
  log "starting engine container $ENGINE_NAME"
  # --privileged is refused on these hosts (CAP_SYS_RESOURCE is outside the bounding set):
  # every other capability, no seccomp/apparmor confinement, all devices, writable cgroups.
  docker run -d --name "$ENGINE_NAME" --restart unless-stopped \
    --cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt seccomp=unconfined \
    --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    --device-cgroup-rule 'a *:* rwm' -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -v "$STATE_VOLUME":/var/lib/dagger -v dagger-registry:/var/lib/registry \
    -v "$CA_DIR":/usr/local/share/ca-certificates:ro \
    "$ENGINE_IMAGE" >/dev/null || die "docker run of $ENGINE_IMAGE failed"
}

write_env() {
  cat > "$CACHE/env" <<ENV
export _EXPERIMENTAL_DAGGER_CLI_BIN=$BIN/dagger-session
export _EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://$ENGINE_NAME
export DAGGER_NO_NAG=1
export DAGGER_NO_UPDATE_CHECK=1
ENV
}

# engine_ready: a session connects (the session command prints its port once connected).
engine_ready() {
  # shellcheck disable=SC1091
  . "$CACHE/env"
  timeout 20 "$_EXPERIMENTAL_DAGGER_CLI_BIN" session </dev/null 2>/dev/null | head -c1 | grep -q '{'
}

# wait_engine: up to STARTING_LIMIT while the engine starts (after an unclean stop, such as a
# machine switched off under it, it wipes its cache state first: minutes for tens of GB), then
# 120 s for a session to connect. A container that stops fails at once, with its last words. (The
# log is read to its end, not with grep -q: under pipefail, docker logs cut off early fails the test.)
STARTING_LIMIT=1800
wait_engine() {
  local end=$((SECONDS + STARTING_LIMIT)) noted= since
  since=$(docker inspect -f '{{.State.StartedAt}}' "$ENGINE_NAME")
  until docker logs --since "$since" "$ENGINE_NAME" 2>&1 | grep 'running server on /run/dagger/engine.sock' >/dev/null; do
    [ "$(docker inspect -f '{{.State.Running}}' "$ENGINE_NAME")" = true ] \
      || die "the engine container stopped while starting: $(docker logs --tail 3 "$ENGINE_NAME" 2>&1 | tr '\n' ' ')"
    if [ -z "$noted" ] && docker logs --since "$since" "$ENGINE_NAME" 2>&1 | grep 'resetting worker' >/dev/null; then
      log "the engine is wiping its cache state after an unclean stop (minutes for a large cache); waiting"
      noted=1
    fi
    [ $SECONDS -lt $end ] || die "timed out after ${STARTING_LIMIT}s waiting for the engine to start (docker logs $ENGINE_NAME)"
    sleep 2
  done
  wait_for 120 "the engine to accept a session (docker logs $ENGINE_NAME)" engine_ready
}

# `engine.sh stop`: a clean stop, with time to flush, keeps the engine's cache; one killed (a machine
# switched off under it) wipes it on its next start.
if [ "${1:-}" = stop ]; then
  docker stop -t 300 "$ENGINE_NAME" >/dev/null 2>&1 || die "docker stop $ENGINE_NAME failed (is it running?)"
  log "engine $ENGINE_NAME stopped; its cache is kept"
  exit 0
fi

mkdir -p "$CACHE" "$SYSCACHE"
[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts dockerd)"
install_packages
start_docker
build_binaries
enable_emulation
debian_image
foreign_debian_image
seed_archives
engine_image
start_engine
write_env
wait_engine
log "engine $DAGGER_VERSION is up as $ENGINE_NAME; environment in $CACHE/env"
cat "$CACHE/env"
