#!/usr/bin/env bash
# Kill a run with SIGKILL at random moments, resume it each time, and check
# that it ends with the same result.json as an uninterrupted run of the same
# preset and seed. Usage: docs/kill-and-resume.sh [preset] [kills] [--set key=value ...]
set -euo pipefail
preset="${1:-presets/quickstart.json}"
kills="${2:-5}"
shift $(($# < 2 ? $# : 2))
cli=(node "$(cd -P "$(dirname "$0")/.." && pwd)/core/bin/absnas.js")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "reference run (uninterrupted) ..."
"${cli[@]}" run "$preset" "$@" --out "$work/reference" --quiet > /dev/null

"${cli[@]}" run "$preset" "$@" --out "$work/killed" --quiet > /dev/null 2>&1 &
pid=$!
for i in $(seq 1 "$kills"); do
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.1f", 2 + rand() * 20 }')"
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
  echo "killed (#$i); checkpoints: $(ls "$work/killed/checkpoints" 2>/dev/null | tr '\n' ' ')"
  "${cli[@]}" run --resume "$work/killed" --quiet > /dev/null 2>&1 &
  pid=$!
done
wait "$pid"

if cmp -s "$work/reference/result.json" "$work/killed/result.json"; then
  echo "same result.json after $kills kill(s):"
  cat "$work/killed/result.json"
else
  echo "DIFFERENT result.json:"; diff "$work/reference/result.json" "$work/killed/result.json"; exit 1
fi
