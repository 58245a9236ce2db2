#!/usr/bin/env bash
# What one change gave: the Go benchmarks of two commits, alternately.
#
#   benchmarks/ab-commits.sh BEFORE AFTER PKG BENCH [ROUNDS]
#   benchmarks/ab-commits.sh 448ba7b~1 448ba7b ./engine 'TrainStep/resnet18/(64|128)px'
#
# Builds PKG's test binary at each commit (in a temporary git worktree, with
# -tags "$TAGS", default openblas), then runs them in turn ROUNDS times
# (default 2: before, after, before, after) with -test.benchtime "$BENCHTIME"
# (default 8x), and prints each run's benchmark lines. Alternating cancels
# most of a shared machine's drift; compare the pairs. This is how the
# second-round table in docs/performance.md was measured (its commits are
# named there; the packages were then ./engine).
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 4 ] || { sed -n 2,13p "$0" >&2; exit 2; }
before=$1 after=$2 pkg=$3 bench=$4 rounds=${5:-2}
TAGS=${TAGS-openblas}
BENCHTIME=${BENCHTIME:-8x}

tmp=$(mktemp -d)
cleanup() {
  for side in before after; do git worktree remove --force "$tmp/$side" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for side in before after; do
  rev=${!side}
  git worktree add --detach --quiet "$tmp/$side" "$rev"
  (cd "$tmp/$side" && go test -c -tags "$TAGS" -o "$tmp/$side.test" "$pkg")
done
for ((i = 1; i <= rounds; i++)); do
  for side in before after; do
    echo "== round $i, $side (${!side})"
    (cd "$tmp/$side/$pkg" && "$tmp/$side.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$BENCHTIME") | grep -E '^Benchmark'
  done
done
