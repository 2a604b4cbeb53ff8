#!/usr/bin/env bash
# Reproducible pipeline behind `npm run pretrain-demo`: train the BPE tokenizer -> tokenize the corpus ->
# pretrain the demo GPT-2 with PyTorch on CPU -> public/models/webtune-demo/ (weights, configs, tokenizer, card).
# Env: DEMO_DATA_DIR (default ../shared/data), STEPS (default 1600, ~40 min on 2 cores), MAX_MINUTES (0 = none), TIME_BUDGET (minutes; schedule by wall clock),
#      WORK_DIR (token files, default a temp dir), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=public/models/webtune-demo
PYTHON="${PYTHON:-/usr/bin/python3}"
STEPS="${STEPS:-1600}"
MAX_MINUTES="${MAX_MINUTES:-0}"
TIME_BUDGET="${TIME_BUDGET:-0}"
export DEMO_DATA_DIR="${DEMO_DATA_DIR:-$(cd .. && pwd)/shared/data}"
WORK_DIR="${WORK_DIR:-$(mktemp -d -t webtune-demo-XXXXXX)}"

for f in wiki_demo.txt c4_demo.jsonl; do
  [[ -f "$DEMO_DATA_DIR/$f" ]] || { echo "error: corpus file $DEMO_DATA_DIR/$f not found (set DEMO_DATA_DIR)" >&2; exit 1; }
done
if ! "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
  echo "error: $PYTHON cannot import torch and numpy. On Debian: apt-get install python3-torch libopenblas0-pthread" >&2
  echo "       (the python3 first on PATH may be another interpreter; set PYTHON=/path/to/python-with-torch)" >&2
  exit 1
fi

echo "== 1/3 train tokenizer -> $OUT"
npx tsx scripts/train-tokenizer.ts "$OUT" 4096
echo "== 2/3 tokenize corpus -> $WORK_DIR"
npx tsx scripts/tokenize-corpus.ts "$OUT" "$WORK_DIR"
echo "== 3/3 pretrain ($STEPS steps) -> $OUT"
OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$PYTHON" scripts/pretrain_demo.py \
  --data "$WORK_DIR" --out "$OUT" --steps "$STEPS" --max-minutes "$MAX_MINUTES" --time-budget "$TIME_BUDGET"
ls -l "$OUT"
