#!/usr/bin/env bash
# The hardware-GPU check of the thread layouts (docs/BENCHMARKS.md), prepared to run in one go on
# a lent GPU machine (../shared/gpu/README.md: `bash ../shared/gpu/pack.sh` here first), as the
# device tool's command, within one call's 10 minutes:
#
#   run(carry: [".gpu"], timeout_s: 570, command: "bash .gpu/remote.sh bash scripts/gpu_check.sh")
#
# Each step is time-boxed and writes its stdout and stderr into $OUT (the device tool's folder;
# runs/gpu-check elsewhere); a step that fails or runs out of time does not stop the next one.
#   1. deno task bench, both layouts side by side: the energy kernel up to batches that fill the
#      device (LJ55 for the share of the fp32 peak) and fused FIRE and L-BFGS up to LJ38 x 65,536.
#   2. a basin-hopping search on LJ38 to its known minimum (workgroup layout, the hardware default).
#   3. fused FIRE on LJ200 in each layout: that it is accepted, and how long the kernels compile.
#   4. three steps of meta-training the hopper with 20,000-evaluation unrolls.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/gpu-check}
mkdir -p "$out" runs
started=$SECONDS

step() {
  local limit=$1 name=$2
  shift 2
  echo "== $name (at most $limit s): $*"
  local t0=$SECONDS
  timeout "$limit" "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo "   exit $? after $((SECONDS - t0)) s"
  tail -n 4 "$out/$name.err"
}

step 200 bench deno task bench --json --seconds 1 \
  --cases LJ38:4096,LJ55:4096,LJ55:32768,LJ55:131072,Au55:16384,Si64:8192 \
  --fire-cases LJ38:4096,LJ38:65536,LJ55:16384
step 120 search-lj38 deno task search --system LJ38 --replicas 16384 --max-evals 100000 \
  --stop-at-known --out runs/gpu-check-lj38 --json
for layout in workgroup lane; do
  step 60 "lj200-fire-$layout" deno task search --system LJ200 --method fire --layout "$layout" \
    --replicas 4096 --max-evals 3000 --out "runs/gpu-check-lj200-$layout" --json
done
step 150 train deno task train --config configs/lj-hopper-gpu.json --steps 3 --out runs/gpu-check-train --json
cp -r runs/gpu-check-* "$out/" 2>/dev/null
echo "== done in $((SECONDS - started)) s"
