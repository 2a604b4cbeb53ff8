#!/usr/bin/env bash
# Prepares the reference cross-check: tiny Llama and Qwen2 checkpoints, a LoRA adapter and a full fine-tune written
# by our engine, our logits for fixed tokens, and a manifest. Then, on a machine with transformers and peft:
#   python3 scripts/reference_check.py <dir>
# Usage: scripts/reference-check-prepare.sh <dir> <gpt2 lora adapter dir trained on the demo model>
set -euo pipefail
H=${1:?output dir}; ADAPTER=${2:?adapter dir}
T="12,345,7,99,2048,4000,5,17,300,1024,77,8"; D=public/samples/date-format.alpaca.jsonl; TEXT="The pizza was awful, honestly dreadful! 2021-03-05"
mkdir -p "$H" && cp -r "$ADAPTER" "$H/sent-lora"
cli() { npm run -s cli -- "$@"; }
npx tsx scripts/make-tiny-model.ts --family llama --out "$H/tiny-llama"
npx tsx scripts/make-tiny-model.ts --family qwen2 --out "$H/tiny-qwen2"
cli train --model "$H/tiny-llama" --data $D --method lora --steps 5 --batch 4 --seq-len 128 --lr 1e-2 \
  --lora-targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj --out "$H/tiny-llama-lora" --json | tail -1
cli train --model "$H/tiny-qwen2" --data $D --method full --steps 5 --batch 4 --seq-len 128 --lr 1e-2 --out "$H/tiny-qwen2-full" --json | tail -1
L() { out=$1; shift; cli logits "$@" --tokens $T --json > "$H/$out"; }
L demo.json --model public/models/webtune-demo
L demo-lora.json --model public/models/webtune-demo --adapter "$H/sent-lora"
L llama.json --model "$H/tiny-llama"; L llama-lora.json --model "$H/tiny-llama" --adapter "$H/tiny-llama-lora"
L qwen2.json --model "$H/tiny-qwen2"; L qwen2-full.json --model "$H/tiny-qwen2-full"
cli tokenize --model public/models/webtune-demo --text "$TEXT" --json > "$H/tok.json"
H="$H" T="$T" TEXT="$TEXT" python3 - <<'PY'
import json, os
H, T, text = os.environ['H'] + '/', [int(x) for x in os.environ['T'].split(',')], os.environ['TEXT']
demo = 'public/models/webtune-demo'
case = lambda name, model, ours, **kw: dict(name=name, model=model, tokens=T, ours=H + ours, **kw)
cases = [
    case('demo gpt2 base + tokenizer', demo, 'demo.json', text=text, ids=json.load(open(H + 'tok.json'))['ids']),
    case('demo gpt2 + our LoRA (peft)', demo, 'demo-lora.json', adapter=H + 'sent-lora', base_ours=H + 'demo.json'),
    case('demo gpt2 + our LoRA merged', demo, 'demo-lora.json', adapter=H + 'sent-lora', merge=True, base_ours=H + 'demo.json'),
    case('tiny llama base', H + 'tiny-llama', 'llama.json'),
    case('tiny llama + our LoRA on 7 modules', H + 'tiny-llama', 'llama-lora.json', adapter=H + 'tiny-llama-lora', base_ours=H + 'llama.json'),
    case('tiny qwen2 base', H + 'tiny-qwen2', 'qwen2.json'),
    case('tiny qwen2 after our full fine-tune', H + 'tiny-qwen2-full', 'qwen2-full.json', base_ours=H + 'qwen2.json'),
]
json.dump(cases, open(H + 'manifest.json', 'w'), indent=1)
PY
echo "prepared $H"
