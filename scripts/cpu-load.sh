#!/usr/bin/env bash
# Runs a command with N processes spinning on the CPU beside it, then stops them (by their own
# process ids, also when the command fails or is interrupted). Exits with the command's status.
#
#   scripts/cpu-load.sh 2 make suite
set -euo pipefail
count="${1:?usage: $0 N command [args...]}"
shift
burners=()
stop_burners() {
  if [ "${#burners[@]}" -gt 0 ]; then
    kill "${burners[@]}" 2>/dev/null || true
    wait "${burners[@]}" 2>/dev/null || true
  fi
}
trap stop_burners EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$count"); do
  ( trap - EXIT INT TERM; while :; do :; done ) &
  burners+=("$!")
done
echo "CPU-burning processes: ${burners[*]}" >&2
"$@"
