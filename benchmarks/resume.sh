#!/usr/bin/env bash
# By hand what tests/test_pipeline.py checks: `dvc repro` killed (SIGKILL, the whole process group)
# during materialise resumes from the shards it finished, and ends with the same store.
# Run after `make repro`, from the repository root: bash benchmarks/resume.sh [SHARDS_BEFORE_THE_KILL]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH
shards=${1:-3}
content() { (cd data/store && find . -type f ! -name summary.json -print0 | sort -z | xargs -0 md5sum) | md5sum | cut -c1-12; }
seconds() { python -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$@"; }
stage() { tr '\r' '\n' | grep -E "resuming|stored" || true; }

start=$(date +%s.%N); dvc repro --force --single-item materialise 2>&1 | stage; end=$(date +%s.%N)
whole=$(content); echo "uninterrupted: $(seconds "$start" "$end") s, store content $whole"

setsid dvc repro --force --single-item materialise >/dev/null 2>&1 &
group=$!; start=$(date +%s.%N)
until [ "$(find data/store.partial -path '*/shards/*' -maxdepth 3 -type d ! -name '*.partial' 2>/dev/null | wc -l)" -ge "$shards" ]; do
    sleep 0.2
done
kill -9 -- "-$group"; end=$(date +%s.%N); wait "$group" 2>/dev/null || true
echo "killed after $(seconds "$start" "$end") s; finished shards: $(find data/store.partial -path '*/shards/*' -maxdepth 3 -type d | sort | tr '\n' ' ')"

start=$(date +%s.%N); dvc repro --single-item materialise 2>&1 | stage; end=$(date +%s.%N)
resumed=$(content); echo "rerun: $(seconds "$start" "$end") s, store content $resumed"
[ "$whole" = "$resumed" ] && echo "same store content as the uninterrupted build" || { echo "DIFFERENT store content"; exit 1; }
