#!/usr/bin/env bash
# Builds the local base images the test suites use (there is no Docker Hub on CI machines):
#   busybox:local  /bin/busybox (static) and its applet links; ENV PATH=/bin
#   node:local     this machine's own node binary, its shared libraries and npm, on busybox;
#                  user node (uid 1000); ENV PATH=/usr/local/bin:/bin, NODE_EXTRA_CA_CERTS
#   python:local   Debian bookworm (debootstrap minbase) with Debian's python3, pip, Flask and
#                  gunicorn; `python` and `pip` on PATH like the official image. PyPI is out of
#                  reach here, so what a test app needs comes from Debian and pip finds it installed.
# An existing image is kept (node:local is rebuilt when the host's node version changed), so
# reruns take seconds. Then both images are proven by running them.
#
# Usage: bash .ci/base-images.sh [--force]     (--force rebuilds both)
# Needs: a running engine, busybox-static, node, debootstrap and the Debian mirror (PACK_DEBIAN_MIRROR,
# default http://deb.debian.org/debian). busybox:local and node:local need no root (ownership is
# set in the tar); debootstrap does.
set -euo pipefail

ci_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=.ci/lib.sh
source "$ci_dir/lib.sh"

force=0
case ${1:-} in
  --force) force=1 ;;
  '') ;;
  *) ci_die "usage: bash .ci/base-images.sh [--force]" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/pack-base-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# image_current IMAGE LABEL VALUE: true (and says so) when IMAGE exists, --force was not given and
# its LABEL is VALUE, the input it was made from; otherwise says why it is (re)built.
image_current() {
  local image=$1 label=$2 wanted=$3 built_with
  ((force == 0)) && image_exists "$image" || return 1
  built_with=$(docker image inspect "$image" --format "{{ index .Config.Labels \"$label\" }}" 2>/dev/null || true)
  if [[ $built_with == "$wanted" ]]; then
    ci_log "$image exists ($label=$wanted); keeping it"
    return 0
  fi
  ci_log "$image was made from $label='${built_with:-unknown}', wanted '$wanted'; rebuilding"
  return 1
}

# busybox_rootfs DIR: /bin/busybox plus one symlink per applet, /tmp (1777), root in /etc/passwd.
busybox_rootfs() {
  local root=$1 busybox applet
  busybox=$(ci_static_busybox) || ci_die "no static busybox (apt-get install busybox-static)"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  cp "$busybox" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  # Every applet in /bin (the image's only PATH entry), including sh.
  for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
  done
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
}

build_busybox() {
  if ((force == 0)) && image_exists busybox:local; then
    ci_log "busybox:local exists; keeping it"
    return
  fi
  local root=$work/busybox
  busybox_rootfs "$root"
  ci_log "importing busybox:local ($(du -sh "$root" | cut -f1))"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - busybox:local >/dev/null
}

# copy_host_file SRC ROOT: copies SRC (symlinks resolved) to the same path under ROOT.
copy_host_file() {
  mkdir -p "$2$(dirname "$1")"
  cp -L "$1" "$2$1"
}

# The npm that ships with this node: <prefix>/lib/node_modules/npm next to <prefix>/bin/node.
npm_dir() {
  local dir
  dir=$(readlink -f "$(dirname "$(readlink -f "$(command -v node)")")/../lib/node_modules/npm")
  [[ -f $dir/bin/npm-cli.js ]] || ci_die "npm not found next to node (looked in $dir)"
  printf '%s\n' "$dir"
}

build_node() {
  local node_bin node_version npm_dir
  node_bin=$(readlink -f "$(command -v node)") || ci_die "node is not on PATH"
  node_version=$("$node_bin" --version)
  npm_dir=$(npm_dir)

  image_current node:local dev.pack.ci.node-version "$node_version" && return

  local root=$work/node lib
  busybox_rootfs "$root"
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/usr/bin" "$root/home/node"
  cp "$node_bin" "$root/usr/local/bin/node"

  # The shared libraries node links against, at the paths the dynamic loader will look them up
  # (ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the loader itself).
  while read -r lib; do
    copy_host_file "$lib" "$root"
  done < <(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
  [[ -n $(find "$root" -name 'ld-linux*' -print -quit) ]] || ci_die "ldd did not name the dynamic loader of $node_bin"

  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  local tool
  for tool in npm npx; do
    printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$tool" >"$root/usr/local/bin/$tool"
    chmod 0755 "$root/usr/local/bin/$tool"
  done
  # Package bins start with "#!/usr/bin/env node".
  ln -s /bin/busybox "$root/usr/bin/env"

  copy_host_file /etc/ssl/certs/ca-certificates.crt "$root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
  chmod 0755 "$root/home/node"

  # Owners come from the tar headers, not from this machine: everything root, /home/node uid 1000.
  local tarball=$work/node.tar
  tar --numeric-owner --owner=0 --group=0 --exclude=./home/node -C "$root" -cf "$tarball" .
  tar --numeric-owner --owner=1000 --group=1000 -C "$root" -rf "$tarball" ./home/node
  ci_log "importing node:local (node $node_version, $(du -sh "$tarball" | cut -f1))"
  docker import \
    --change 'ENV PATH=/usr/local/bin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL dev.pack.ci.node-version=$node_version" \
    --change 'CMD ["node"]' \
    "$tarball" node:local >/dev/null
}

# The Debian packages in python:local; a change here rebuilds it (they are its label).
PYTHON_PACKAGES=python3,python3-pip,python3-flask,gunicorn,passwd

build_python() {
  image_current python:local dev.pack.ci.packages "$PYTHON_PACKAGES" && return
  command -v debootstrap >/dev/null || ci_die "debootstrap is missing (apt-get install debootstrap)"
  local root=$work/python mirror=${PACK_DEBIAN_MIRROR:-http://deb.debian.org/debian} start=$SECONDS
  ci_log "debootstrap --variant=minbase bookworm with $PYTHON_PACKAGES from $mirror"
  if ! ci_sudo debootstrap --variant=minbase --include="$PYTHON_PACKAGES" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    ci_die "debootstrap failed (log above)"
  fi
  # As in the official image: `python` and `pip` are the image's Python 3.
  ci_sudo ln -sf python3 "$root/usr/bin/python"
  ci_sudo rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  ci_log "importing python:local ($(ci_sudo du -sh "$root" | cut -f1), debootstrap took $((SECONDS - start)) s)"
  # PIP_BREAK_SYSTEM_PACKAGES: Debian marks its Python externally managed (PEP 668); the official
  # image's pip installs into the system Python, and so does this one.
  ci_sudo tar --numeric-owner -C "$root" -c . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' \
      --change "LABEL dev.pack.ci.packages=$PYTHON_PACKAGES" \
      --change 'CMD ["python3"]' \
      - python:local >/dev/null
  ci_sudo rm -rf "$root"
}

prove() {
  local out expected
  out=$(docker run --rm --network none busybox:local sh -c 'echo busybox-ok')
  [[ $out == busybox-ok ]] || ci_die "busybox:local: sh -c echo printed '$out'"
  expected=$(node --version)
  out=$(docker run --rm --network none node:local node -e 'console.log(process.version)')
  [[ $out == "$expected" ]] || ci_die "node:local: node printed '$out', expected $expected"
  expected=$(node -p 'require(process.argv[1]).version' "$(npm_dir)/package.json")
  out=$(docker run --rm --network host node:local npm --version)
  [[ $out == "$expected" ]] || ci_die "node:local: npm --version printed '$out', expected $expected"
  out=$(docker run --rm --network none --user node node:local sh -c 'cd && touch ok && id -u && ls -d /tmp')
  [[ $out == $'1000\n/tmp' ]] || ci_die "node:local: user node cannot write its home (got '$out')"
  ci_log "proven: busybox:local runs sh; node:local runs node $(node --version) and npm $expected (as root and as node)"
  out=$(docker run --rm --network none python:local sh -c 'python -c "import flask, sys; print(sys.version_info[0])" && pip --version >/dev/null && command -v gunicorn && command -v useradd')
  [[ $out == $'3\n/usr/bin/gunicorn\n/usr/sbin/useradd' ]] || ci_die "python:local: python, flask, pip, gunicorn or useradd missing (got '$out')"
  ci_log "proven: python:local runs python 3 with flask, pip and gunicorn"
}

docker version >/dev/null 2>&1 || ci_die "no Docker engine answers 'docker version' (start one: bash .ci/run)"
build_busybox
build_node
build_python
prove
