#!/usr/bin/env bash
# Runs the engine benchmark against a committed revision of the packages, leaving the working
# tree alone (useful while it is being edited): exports <rev> into a temporary folder, reuses
# this checkout's node_modules except the workspace links, runs this checkout's bench/ there,
# and copies the results JSON back into bench/results/.
#
#   bench/engine/at-commit.sh [rev=HEAD] [benchmark flags...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rev="${1:-HEAD}"
shift || true
commit="$(git -C "$root" rev-parse --verify "$rev^{commit}")"
snap="$(mktemp -d "${TMPDIR:-/tmp}/mainspring-bench-XXXXXX")"
trap 'rm -rf "$snap"' EXIT

git -C "$root" archive "$commit" | tar -x -C "$snap"
rm -rf "$snap/bench"
cp -r "$root/bench" "$snap/bench"

# node_modules: everything from this checkout except @mainspring/*, which must point at the
# exported packages rather than at the working tree.
mkdir -p "$snap/node_modules/@mainspring"
for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
  name="$(basename "$entry")"
  [ "$name" = "@mainspring" ] && continue
  ln -s "$entry" "$snap/node_modules/$name"
done
for pkg in "$snap"/packages/* "$snap/app"; do
  [ -f "$pkg/package.json" ] || continue
  name="$(node -p "require('$pkg/package.json').name")"
  ln -s "$pkg" "$snap/node_modules/$name"
done

echo "benchmarking $commit (exported to $snap)"
(cd "$snap" && BENCH_ENGINE_COMMIT="$commit" npx tsx bench/engine/run.ts "$@")
mkdir -p "$root/bench/results"
cp "$snap"/bench/results/engine-*.json "$root/bench/results/"
