#!/usr/bin/env bash
# ClamAV's clamd for the virus scanner, with a config and a database directory of the project's own.
#
#   scripts/ensure-clamav.sh install   # Debian's clamav-daemon when clamd is missing; nothing is started
#   scripts/ensure-clamav.sh start     # install if missing, write the config, start clamd unless it already answers
#   scripts/ensure-clamav.sh stop      # stop the clamd that `start` started
#   scripts/ensure-clamav.sh update    # freshclam: the official signatures into the same database (needs the internet)
#
# Everything lives in CLAMAV_DIR (default .cluster/clamav): clamd.conf, freshclam.conf, db/,
# clamd.sock, clamd.pid, clamd.log, clamd.err. Nothing under /etc is touched. Every start copies
# the test signatures shipped in scripts/clamav/ (EICAR) into db/, so clamd starts offline in well
# under a second; `update` adds the official ones beside them and makes the running clamd reload.
#
#   CLAMD_TCP_PORT          also listen on 127.0.0.1:PORT (unset: the unix socket only)
#   CLAMD_STREAM_MAX_BYTES  largest file clamd accepts (default 104857600); keep the scanner's
#                           max_stream_bytes equal, so a larger file is refused before it is sent
#   CLAMAV_MIRROR           where `update` downloads from (default ClamAV's database.clamav.net)
#   CLAMD_IMAGE_FUZZY_HASH  yes (default, as ClamAV) | no: the image fuzzy hash decodes every image,
#                           most of the time a photo's scan takes (see BENCHMARKS.md)
#
# Run as root, clamd drops to the `clamav` user (created by the package) when that user can reach
# CLAMAV_DIR; otherwise it keeps the caller's user and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIR="${CLAMAV_DIR:-$ROOT/.cluster/clamav}"
STREAM_MAX="${CLAMD_STREAM_MAX_BYTES:-104857600}"
TCP_PORT="${CLAMD_TCP_PORT:-}"
FUZZY_HASH="${CLAMD_IMAGE_FUZZY_HASH:-yes}"
MIRROR="${CLAMAV_MIRROR:-database.clamav.net}"
CLAMD=/usr/sbin/clamd
FRESHCLAM=/usr/bin/freshclam
START_TIMEOUT_S="${CLAMD_START_TIMEOUT_S:-300}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }

install_clamav() {
  [ -x "$CLAMD" ] && [ -x "$FRESHCLAM" ] && return 0
  echo "installing clamav-daemon (Debian packages)" >&2
  as_root apt-get update -qq || { echo "apt-get update failed (root or sudo needed)" >&2; return 1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clamav-daemon >/dev/null
  [ -x "$CLAMD" ] || { echo "clamav-daemon installed but $CLAMD is missing" >&2; return 1; }
}

# PING on the unix socket; true when clamd answers PONG.
answers() {
  [ -S "$DIR/clamd.sock" ] || return 1
  python3 - "$DIR/clamd.sock" <<'PY' 2>/dev/null
import socket, sys
with socket.socket(socket.AF_UNIX) as s:
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(b"nPING\n")
    sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
PY
}

# The user clamd runs as: clamav when started as root and that user can reach the directory.
clamd_user() {
  if [ "$(id -u)" -eq 0 ] && id clamav >/dev/null 2>&1 \
     && runuser -u clamav -- test -x "$DIR" -a -r "$DIR" 2>/dev/null; then
    echo clamav
  else
    id -un
  fi
}

write_config() {
  mkdir -p "$DIR/db"
  cp -p "$ROOT"/scripts/clamav/*.hdb "$ROOT"/scripts/clamav/*.ndb "$DIR/db/"
  local user
  user="$(clamd_user)"
  if [ "$(id -u)" -eq 0 ]; then chown -R "$user:" "$DIR"; fi
  if [ "$(id -u)" -eq 0 ] && [ "$user" = root ]; then
    echo "note: the clamav user cannot reach $DIR; clamd runs as root" >&2
  fi
  local socket="$DIR/clamd.sock"
  if [ "${#socket}" -ge 108 ]; then
    echo "the socket path $socket is longer than a unix socket allows (107 bytes); set CLAMAV_DIR" >&2
    return 1
  fi
  {
    echo "# Written by scripts/ensure-clamav.sh; edits are overwritten on the next start."
    echo "LocalSocket $socket"
    echo "LocalSocketMode 660"
    echo "FixStaleSocket yes"
    [ -n "$TCP_PORT" ] && { echo "TCPSocket $TCP_PORT"; echo "TCPAddr 127.0.0.1"; }
    echo "PidFile $DIR/clamd.pid"
    echo "DatabaseDirectory $DIR/db"
    echo "LogFile $DIR/clamd.log"
    echo "LogTime yes"
    [ "$(id -u)" -eq 0 ] && [ "$user" != root ] && echo "User $user"
    # A stream over the limit is refused; a file the engine would stop reading early is
    # reported as Heuristics.Limits.Exceeded.* instead of passing as clean.
    echo "StreamMaxLength $STREAM_MAX"
    echo "MaxFileSize $STREAM_MAX"
    echo "MaxScanSize $((STREAM_MAX * 4))"
    echo "AlertExceedsMax yes"
    echo "ScanImageFuzzyHash $FUZZY_HASH"
  } >"$DIR/clamd.conf"
  {
    echo "# Written by scripts/ensure-clamav.sh: scripts/ensure-clamav.sh update runs freshclam with it."
    echo "DatabaseDirectory $DIR/db"
    echo "DatabaseOwner $user"
    echo "DatabaseMirror $MIRROR"
    echo "UpdateLogFile $DIR/freshclam.log"
    echo "NotifyClamd $DIR/clamd.conf"
  } >"$DIR/freshclam.conf"
  if [ "$(id -u)" -eq 0 ]; then chown "$user:" "$DIR/clamd.conf" "$DIR/freshclam.conf"; fi
}

start_clamd() {
  install_clamav
  write_config
  if answers; then return 0; fi
  # clamd's own daemon mode can hang: its parent waits for a "ready" signal that a child with a
  # small database may send before the parent listens. So clamd runs in the foreground, detached
  # from this shell, and start waits until it answers (it opens its socket after loading the
  # database: milliseconds with the test signatures, tens of seconds with the official ones).
  setsid "$CLAMD" --config-file="$DIR/clamd.conf" --foreground </dev/null >/dev/null 2>>"$DIR/clamd.err" &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT_S))
  until [ -S "$DIR/clamd.sock" ] && answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "clamd stopped while starting; see $DIR/clamd.log:" >&2
      tail -n 20 "$DIR/clamd.log" "$DIR/clamd.err" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "clamd did not answer within ${START_TIMEOUT_S} s; see $DIR/clamd.log" >&2
      kill "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.02
  done
}

stop_clamd() {
  [ -f "$DIR/clamd.pid" ] || return 0
  local pid
  pid="$(cat "$DIR/clamd.pid")"
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    timeout 30 tail -s 0.05 --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/clamd.pid"
}

update_signatures() {
  install_clamav
  write_config
  echo "downloading the official signatures into $DIR/db (main, daily, bytecode: hundreds of MB)" >&2
  "$FRESHCLAM" --config-file="$DIR/freshclam.conf" --stdout
}

case "${1:-start}" in
  install) install_clamav ;;
  start) start_clamd ;;
  stop) stop_clamd ;;
  update) update_signatures ;;
  *) echo "usage: $0 install|start|stop|update" >&2; exit 2 ;;
esac
