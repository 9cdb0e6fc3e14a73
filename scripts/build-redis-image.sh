#!/usr/bin/env bash
# Builds a small local Redis image without pulling anything from a registry.
#
# The image holds the host's redis-server / redis-sentinel / redis-cli, the shared libraries ldd lists for
# them (plus the dynamic loader), a static busybox for /bin/sh and friends, and an entrypoint that adds
# `--protected-mode no` to redis-server / redis-sentinel invocations. It is made with `docker import`.
#
# Idempotent: the image carries a hash of everything that went into it and is rebuilt only when that changes.
#
# usage: scripts/build-redis-image.sh [--force]
# env:   SWITCHYARD_REDIS_IMAGE   tag to build (default switchyard/redis-local:7)
set -euo pipefail

image=${SWITCHYARD_REDIS_IMAGE:-switchyard/redis-local:7}
force=${1:-}
log() { echo "[build-redis-image] $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"
for bin in redis-server redis-cli; do command -v "$bin" >/dev/null || die "$bin not found on PATH (apt-get install redis-server redis-tools)"; done
busybox=$(command -v busybox || true)
[[ -z $busybox && -x /bin/busybox ]] && busybox=/bin/busybox
[[ -n $busybox ]] || die "busybox not found (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked; install busybox-static"

server=$(readlink -f "$(command -v redis-server)")
cli=$(readlink -f "$(command -v redis-cli)")

entrypoint=$(cat <<'SH'
#!/bin/sh
# switchyard redis-local entrypoint: a container is reached through host networking or a port mapping,
# never its own loopback, so protected mode is turned off. A config file, if given, stays the first argument;
# options after it (including a later --protected-mode) still win.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
case "$1" in
  redis-server | redis-sentinel)
    command=$1
    shift
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
      config=$1
      shift
      exec "$command" "$config" --protected-mode no "$@"
    fi
    exec "$command" --protected-mode no "$@"
    ;;
esac
exec "$@"
SH
)

# Every file that goes into the image, as "source-path image-path".
files=("$server /usr/bin/redis-server" "$cli /usr/bin/redis-cli" "$busybox /bin/busybox")
while read -r lib; do
  [[ -n $lib ]] && files+=("$(readlink -f "$lib") $lib")
done < <(ldd "$server" "$cli" | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(/ { print $1 }' | sort -u)

hash=$({
  echo "recipe-v1"
  printf '%s\n' "$entrypoint"
  for entry in "${files[@]}"; do
    read -r source target <<<"$entry"
    echo "$target $(sha256sum "$source" | cut -d' ' -f1)"
  done
} | sha256sum | cut -c1-16)

existing=$(docker image inspect -f '{{ index .Config.Labels "switchyard.redis-local.hash" }}' "$image" 2>/dev/null || true)
if [[ $existing == "$hash" && $force != --force ]]; then
  log "$image is up to date (hash $hash)"
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,usr/bin,usr/local/bin,etc,data,root}
install -d -m 1777 "$rootfs/tmp"
for entry in "${files[@]}"; do
  read -r source target <<<"$entry"
  mkdir -p "$rootfs$(dirname "$target")"
  cp "$source" "$rootfs$target"
done
ln -s redis-server "$rootfs/usr/bin/redis-sentinel"
for applet in $("$busybox" --list); do
  [[ -e $rootfs/bin/$applet ]] || ln -s busybox "$rootfs/bin/$applet"
done
printf '%s\n' "$entrypoint" >"$rootfs/usr/local/bin/docker-entrypoint.sh"
chmod 755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
log "importing $image (redis $version, hash $hash)"
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
  docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /data' \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["redis-server"]' \
    --change "LABEL switchyard.redis-local.hash=$hash" \
    --change "LABEL org.opencontainers.image.version=$version" \
    - "$image" >/dev/null

# Smoke test: the image starts, and with host networking its server is reachable from the host's loopback.
port=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((20000 + RANDOM % 20000)); done
name=switchyard-redis-smoke-$$
docker run -d --rm --name "$name" --label switchyard.testing=true --network host "$image" \
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null
cleanup_smoke() { docker rm -f "$name" >/dev/null 2>&1 || true; }
for _ in $(seq 1 50); do
  [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true) == PONG ]] && break
  sleep 0.1
done
if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true) != PONG ]]; then
  docker logs "$name" >&2 || true
  cleanup_smoke
  die "smoke test failed: a container from $image did not answer PING on 127.0.0.1:$port (host networking)"
fi
cleanup_smoke
log "built $image; smoke test passed (host networking, 127.0.0.1:$port)"
