# shellcheck shell=bash
# Two local registries for the push suites, with Debian's `docker-registry serve CONFIG`
# (distribution 2.8):
#   127.0.0.1:5000  open
#   127.0.0.1:5001  htpasswd auth, user pack / password pack-secret
# A port that already answers is reused, not restarted, so reruns are instant. The daemon treats
# 127.0.0.0/8 registries as insecure-allowed by default, so plain http works for push and pull.
#
# Use: `source .ci/registries.sh` (starts what is missing and exports PACK_TEST_REGISTRY,
# PACK_TEST_AUTH_REGISTRY, PACK_TEST_AUTH_USER, PACK_TEST_AUTH_PASSWORD), or
# `bash .ci/registries.sh` to start them and print the exports.

_registries_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=.ci/lib.sh
source "$_registries_dir/lib.sh"

PACK_REGISTRY_PORT=${PACK_REGISTRY_PORT:-5000}
PACK_AUTH_REGISTRY_PORT=${PACK_AUTH_REGISTRY_PORT:-5001}
PACK_REGISTRY_USER=pack
PACK_REGISTRY_PASSWORD=pack-secret

# start_registry PORT [HTPASSWD_FILE]: runs a registry in its own session (it must outlive this
# script) with storage and log in a fresh temp dir.
_start_registry() {
  local port=$1 htpasswd=${2:-} dir config
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pack-registry-$port.XXXXXX")
  config=$dir/config.yml
  cat >"$config" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  if [[ -n $htpasswd ]]; then
    cat >>"$config" <<EOF
auth:
  htpasswd:
    realm: pack-test
    path: $htpasswd
EOF
  fi
  # Own session: it must outlive this script. --fork --wait leaves a parent whose pid ($!) lives
  # exactly as long as the registry, whatever the caller's job control does.
  setsid --fork --wait docker-registry serve "$config" >"$dir/registry.log" 2>&1 </dev/null &
  local pid=$!
  ci_log "started registry on 127.0.0.1:$port (pid $pid, storage $dir/data, log $dir/registry.log)"
  local waited=0
  until ci_port_open "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$dir/registry.log" >&2 || true
      ci_die "registry on port $port exited during startup"
    fi
    ((waited++ < 100)) || { tail -n 30 "$dir/registry.log" >&2; ci_die "registry on port $port not listening after 20 s"; }
    sleep 0.2
  done
}

ensure_registries() {
  if ci_port_open "$PACK_REGISTRY_PORT"; then
    ci_log "something already listens on 127.0.0.1:$PACK_REGISTRY_PORT; reusing it"
  else
    _start_registry "$PACK_REGISTRY_PORT"
  fi

  if ci_port_open "$PACK_AUTH_REGISTRY_PORT"; then
    ci_log "something already listens on 127.0.0.1:$PACK_AUTH_REGISTRY_PORT; reusing it"
  else
    local auth_dir
    auth_dir=$(mktemp -d "${TMPDIR:-/tmp}/pack-registry-auth.XXXXXX")
    # distribution's htpasswd backend accepts bcrypt entries only, hence -B.
    htpasswd -Bbn "$PACK_REGISTRY_USER" "$PACK_REGISTRY_PASSWORD" >"$auth_dir/htpasswd"
    _start_registry "$PACK_AUTH_REGISTRY_PORT" "$auth_dir/htpasswd"
  fi

  # Prove both answer the way the push suites expect: the registry API root is GET /v2/.
  local status
  status=$(ci_http_status "http://127.0.0.1:$PACK_REGISTRY_PORT/v2/")
  [[ $status == 200 ]] || ci_die "open registry 127.0.0.1:$PACK_REGISTRY_PORT: GET /v2/ answered $status, expected 200"
  status=$(ci_http_status "http://127.0.0.1:$PACK_AUTH_REGISTRY_PORT/v2/")
  [[ $status == 401 ]] || ci_die "auth registry 127.0.0.1:$PACK_AUTH_REGISTRY_PORT: GET /v2/ without credentials answered $status, expected 401"
  status=$(ci_http_status "http://127.0.0.1:$PACK_AUTH_REGISTRY_PORT/v2/" "$PACK_REGISTRY_USER:$PACK_REGISTRY_PASSWORD")
  [[ $status == 200 ]] || ci_die "auth registry 127.0.0.1:$PACK_AUTH_REGISTRY_PORT: GET /v2/ as $PACK_REGISTRY_USER answered $status, expected 200 (a registry with other credentials on that port?)"
  ci_log "registries answer: 127.0.0.1:$PACK_REGISTRY_PORT open (200), 127.0.0.1:$PACK_AUTH_REGISTRY_PORT auth (401, 200 as $PACK_REGISTRY_USER)"

  export PACK_TEST_REGISTRY=127.0.0.1:$PACK_REGISTRY_PORT
  export PACK_TEST_AUTH_REGISTRY=127.0.0.1:$PACK_AUTH_REGISTRY_PORT
  export PACK_TEST_AUTH_USER=$PACK_REGISTRY_USER
  export PACK_TEST_AUTH_PASSWORD=$PACK_REGISTRY_PASSWORD
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  ensure_registries
  printf 'export PACK_TEST_REGISTRY=%s\nexport PACK_TEST_AUTH_REGISTRY=%s\nexport PACK_TEST_AUTH_USER=%s\nexport PACK_TEST_AUTH_PASSWORD=%s\n' \
    "$PACK_TEST_REGISTRY" "$PACK_TEST_AUTH_REGISTRY" "$PACK_TEST_AUTH_USER" "$PACK_TEST_AUTH_PASSWORD"
fi
