"""PyTorch peer for scripts/bench-train.ts: times the same training step (GPT-2-shaped model, AdamW, clip 1.0, LoRA
or full) on the CPU at a given thread count and prints one JSON line (fastest and median step, forward/backward/optimizer split).
Run with /usr/bin/python3 (Debian's python3-torch). Weights from --model, or random init from --config-json."""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from pretrain_demo import Config, Conv1D, GPT2LMHead, read_safetensors  # noqa: E402


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


def build(args):
    cfg = Config()
    hf = json.loads(args.config_json) if args.config_json else json.load(open(os.path.join(args.model, "config.json")))
    for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
        setattr(cfg, k, hf[k])
    cfg.pdrop = 0.0
    model = GPT2LMHead(cfg)
    if args.model:
        model.load_state_dict(read_safetensors(os.path.join(args.model, "model.safetensors")), strict=False)
    if args.method == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for block in model.transformer.h:  # c_attn and both c_proj, as the benchmark's targets ['c_attn', 'c_proj']
            block.attn.c_attn = LoraConv1D(block.attn.c_attn, args.r, 2 * args.r)
            block.attn.c_proj = LoraConv1D(block.attn.c_proj, args.r, 2 * args.r)
            block.mlp.c_proj = LoraConv1D(block.mlp.c_proj, args.r, 2 * args.r)
    return cfg, model


def step(model, params, opt, x):
    """One step; returns (forward, backward incl. clipping, optimizer) seconds."""
    t0 = time.perf_counter()
    _, loss = model(x[:, :-1].contiguous(), x[:, 1:].contiguous())
    t1 = time.perf_counter()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    t2 = time.perf_counter()
    opt.step()
    return t1 - t0, t2 - t1, time.perf_counter() - t2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--config-json", default=None)
    ap.add_argument("--method", choices=["lora", "full"], required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--r", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg, model = build(args)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01 if args.method == "full" else 0.0)
    # seq + 1 ids: the model sees `seq` tokens, as ours does.
    x = torch.randint(0, cfg.vocab_size, (args.batch, args.seq + 1))
    times = [step(model, params, opt, x) for _ in range(max(2, args.steps))][1:]  # the first step warms up
    times.sort(key=sum)
    f, b, o = times[0]  # the fastest step, as the TypeScript side reports (the machine's load changes)
    tokens = args.batch * args.seq
    print(json.dumps({"peer": f"pytorch {torch.__version__} cpu", "threads": torch.get_num_threads(), "method": args.method,
                      "tokensPerSec": tokens / (f + b + o), "medianTokensPerSec": tokens / sum(times[len(times) // 2]),
                      "forwardMs": f * 1e3, "backwardMs": b * 1e3, "optimizerMs": o * 1e3}))


if __name__ == "__main__":
    main()
