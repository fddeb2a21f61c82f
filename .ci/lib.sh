# shellcheck shell=bash
# Shared helpers for the .ci scripts. Sourced, never run.

ci_log() { printf '[ci %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ci_die() { ci_log "ERROR: $*"; exit 1; }

# Root runs things directly; a developer without root gets sudo for the few system steps.
ci_sudo() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT (bash's /dev/tcp, no extra tools).
ci_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the HTTP status of GET URL (000 when nothing answers), optionally with basic auth USER:PASS.
# Node is used because it is always there (npm needs it) while curl may not be.
ci_http_status() {
  node -e '
    const [url, auth] = process.argv.slice(1);
    const headers = auth ? { Authorization: "Basic " + Buffer.from(auth).toString("base64") } : {};
    fetch(url, { headers, signal: AbortSignal.timeout(5000) })
      .then((res) => console.log(res.status), () => console.log("000"));
  ' "$1" "${2:-}"
}

# Path of a statically linked busybox (what busybox-static installs), or failure.
ci_static_busybox() {
  local candidate
  for candidate in /bin/busybox /usr/bin/busybox; do
    # ldd fails ("not a dynamic executable") exactly for static binaries.
    if [[ -x $candidate ]] && ! ldd "$candidate" >/dev/null 2>&1; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# Pids of all processes below PID (children first, then their children), for stopping what we started.
ci_descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do
    printf '%s\n' "$child"
    ci_descendants "$child"
  done
}
