"""PyTorch peer for scripts/bench-train.ts (CPU) and scripts/bench-gpu.ts (CUDA): times the same training step
(GPT-2- or Llama-shaped model, AdamW, clip 1.0, LoRA or full) and prints one JSON line per run (fastest and median
step, forward/backward/optimizer split). Weights from --model, or random init from --config-json.
CPU: /usr/bin/python3 (Debian's python3-torch), --threads N. CUDA: --device cuda --tf32 off|on (fp32 matmuls exact,
or on TF32 tensor cores). --jobs FILE runs a JSON list of {"config": {...}, "method", "batch", "seq", "steps"} in
one process, each with every --tf32 setting given (comma-separated), one JSON line per job and setting."""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from pretrain_demo import Config, Conv1D, GPT2LMHead, read_safetensors  # noqa: E402
from peer_llama import LlamaLM  # noqa: E402

LLAMA_LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]  # as scripts/bench-gpu.ts adapts Llama-shaped models


class LoraConv1D(nn.Module):
    """y = x @ W + b + (x @ A^T @ B^T) * alpha / r, with W frozen (PEFT's LoRA on a fan_in_fan_out layer)."""

    def __init__(self, base: Conv1D, r: int, alpha: float):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape
        self.A = nn.Parameter(torch.randn(r, n_in) / n_in ** 0.5)
        self.B = nn.Parameter(torch.zeros(n_out, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.A.t() @ self.B.t()) * self.scaling


def build(hf, method, r, model_dir=None):
    if hf.get("model_type", "gpt2") != "gpt2":
        model = LlamaLM(hf)
        if method == "lora":
            model.add_lora(LLAMA_LORA_TARGETS, r)
        return hf["vocab_size"], model
    cfg = Config()
    for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
        setattr(cfg, k, hf[k])
    cfg.pdrop = 0.0
    model = GPT2LMHead(cfg)
    if model_dir:
        model.load_state_dict(read_safetensors(os.path.join(model_dir, "model.safetensors")), strict=False)
    if method == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for block in model.transformer.h:  # c_attn and both c_proj, as the benchmark's targets ['c_attn', 'c_proj']
            block.attn.c_attn = LoraConv1D(block.attn.c_attn, r, 2 * r)
            block.attn.c_proj = LoraConv1D(block.attn.c_proj, r, 2 * r)
            block.mlp.c_proj = LoraConv1D(block.mlp.c_proj, r, 2 * r)
    return cfg.vocab_size, model


def set_tf32(device, tf32):
    """TF32 off: fp32 matmuls and convolutions in full fp32 ('ieee'); on: on TF32 tensor cores. One API only: torch
    2.9+ has fp32_precision (and refuses reads after a mix with the old flags), older ones allow_tf32."""
    if device != "cuda":
        return
    on = tf32 == "on"
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        torch.backends.cuda.matmul.fp32_precision = "tf32" if on else "ieee"
        torch.backends.cudnn.conv.fp32_precision = "tf32" if on else "ieee"
    else:
        torch.backends.cuda.matmul.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on


def step(model, params, opt, x, sync):
    """One step; returns (forward, backward incl. clipping, optimizer) seconds (on CUDA synchronised at each edge)."""
    sync()
    t0 = time.perf_counter()
    _, loss = model(x[:, :-1].contiguous(), x[:, 1:].contiguous())
    sync()
    t1 = time.perf_counter()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    sync()
    t2 = time.perf_counter()
    opt.step()
    sync()
    return t1 - t0, t2 - t1, time.perf_counter() - t2


def run(hf, method, batch, seq, steps, r, device, tf32="off", model_dir=None):
    """Times `steps` steps after a warm-up one; returns the JSON row."""
    set_tf32(device, tf32)
    torch.manual_seed(0)
    vocab, model = build(hf, method, r, model_dir)
    model = model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01 if method == "full" else 0.0)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    # seq + 1 ids: the model sees `seq` tokens, as ours does.
    x = torch.randint(0, vocab, (batch, seq + 1), device=device)
    times = [step(model, params, opt, x, sync) for _ in range(max(2, steps))][1:]  # the first step warms up
    times.sort(key=sum)
    f, b, o = times[0]  # the fastest step, as the TypeScript side reports (the machine's load changes)
    tokens = batch * seq
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    row = {"peer": f"pytorch {torch.__version__} {device}", "deviceName": name, "threads": torch.get_num_threads(), "method": method,
           "tf32": tf32 if device == "cuda" else None, "batch": batch, "seq": seq,
           "tokensPerSec": tokens / (f + b + o), "medianTokensPerSec": tokens / sum(times[len(times) // 2]),
           "forwardMs": f * 1e3, "backwardMs": b * 1e3, "optimizerMs": o * 1e3}
    del model, opt, params
    if device == "cuda":
        torch.cuda.empty_cache()
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--config-json", default=None)
    ap.add_argument("--jobs", default=None, help="JSON file: a list of {config, method, batch, seq, steps}")
    ap.add_argument("--method", choices=["lora", "full"])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--tf32", default="off", help="off, on, or off,on (CUDA only)")
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench_peer.py: --device cuda, but this PyTorch sees no CUDA GPU")
    torch.set_num_threads(args.threads)
    settings = [t for t in args.tf32.split(",") if t] if args.device == "cuda" else ["off"]
    if any(t not in ("off", "on") for t in settings):
        sys.exit(f"bench_peer.py: --tf32 takes off, on or off,on, not {args.tf32}")
    if args.jobs:
        for job in json.load(open(args.jobs)):
            for tf32 in settings:
                row = run(job["config"], job["method"], job["batch"], job["seq"], job.get("steps", args.steps), args.r, args.device, tf32)
                print(json.dumps({**row, "config": job.get("name")}), flush=True)
        return
    if not args.method:
        sys.exit("bench_peer.py: --method lora|full (or --jobs FILE) is needed")
    hf = json.loads(args.config_json) if args.config_json else json.load(open(os.path.join(args.model, "config.json")))
    for tf32 in settings:
        print(json.dumps(run(hf, args.method, args.batch, args.seq, args.steps, args.r, args.device, tf32, args.model)), flush=True)


if __name__ == "__main__":
    main()
