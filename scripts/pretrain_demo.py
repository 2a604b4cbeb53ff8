#!/usr/bin/python3
"""Pretrains the bundled demo model (webtune-demo) on CPU with PyTorch and saves it in Hugging Face GPT-2 layout.

The architecture is Hugging Face's GPT2LMHeadModel written out (torch 1.13 has no scaled_dot_product_attention):
learned positions, pre-LayerNorm (eps 1e-5), GELU tanh ("gelu_new"), causal attention, tied lm_head.
Weights are kept in HF's Conv1D layout ([in, out]) so saving is a rename, not a transpose.

Usage (see scripts/pretrain-demo.sh):
  OMP_NUM_THREADS=2 /usr/bin/python3 scripts/pretrain_demo.py --data /tmp/webtune-demo-data \
      --out public/models/webtune-demo --steps 3000
  --bench N   time N training steps and exit (to choose --steps for a time budget)
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------- model
class Config:
    vocab_size = 4096
    n_positions = 256
    n_embd = 256
    n_layer = 4
    n_head = 4
    layer_norm_epsilon = 1e-5
    pdrop = 0.1  # resid, embd and attn dropout, as HF's GPT-2 defaults
    initializer_range = 0.02


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF's Conv1D: y = x @ W + b with W stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        self.attn_dropout = nn.Dropout(cfg.pdrop)
        self.resid_dropout = nn.Dropout(cfg.pdrop)
        mask = torch.tril(torch.ones(cfg.n_positions, cfg.n_positions, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, cfg.n_positions, cfg.n_positions), persistent=False)

    def forward(self, x):  # x: [B, T, C]
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        hd = C // self.n_head
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)  # [B, H, T, T]
        att = att.masked_fill(~self.mask[:, :, :T, :T], torch.finfo(att.dtype).min)
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)
        self.dropout = nn.Dropout(cfg.pdrop)

    def forward(self, x):
        return self.dropout(self.c_proj(gelu_new(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.drop = nn.Dropout(cfg.pdrop)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)


class GPT2LMHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = Transformer(cfg)
        self.apply(self._init)
        # GPT-2: residual projections scaled by 1/sqrt(2 * n_layer).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=cfg.initializer_range / math.sqrt(2 * cfg.n_layer))

    def _init(self, m):
        std = self.cfg.initializer_range
        if isinstance(m, (Conv1D, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=std)
        if isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, idx, targets=None):  # idx: [B, T]
        t = self.transformer
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = t.drop(t.wte(idx) + t.wpe(pos))
        for block in t.h:
            x = block(x)
        logits = t.ln_f(x) @ t.wte.weight.t()  # tied lm_head, [B, T, V]
        if targets is None:
            return logits
        return logits, F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


# ---------------------------------------------------------------------------------------------- data
def load_tokens(path):
    return torch.from_numpy(np.fromfile(path, dtype=np.uint16).astype(np.int64))


def random_batch(data, batch, seq, gen):
    ix = torch.randint(0, len(data) - seq - 1, (batch,), generator=gen)
    x = torch.stack([data[i : i + seq] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + seq] for i in ix.tolist()])
    return x, y


def windows(data, seq, count=None):
    """Non-overlapping windows: window k has inputs data[k*seq : k*seq+seq], targets shifted by one."""
    n = (len(data) - 1) // seq
    if count is not None:
        n = min(n, count)
    x = torch.stack([data[k * seq : k * seq + seq] for k in range(n)])
    y = torch.stack([data[k * seq + 1 : k * seq + seq + 1] for k in range(n)])
    return x, y


@torch.no_grad()
def eval_loss(model, x, y, batch=32):
    """Mean cross-entropy over every predicted token of the given windows (eval mode, no dropout)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(x), batch):
        logits = model(x[i : i + batch])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i : i + batch].reshape(-1), reduction="sum").item()
        count += y[i : i + batch].numel()
    model.train(was_training)
    return total / count


# ---------------------------------------------------------------------------------------------- saving
def hf_state(model):
    """Tensors under HF GPT2LMHeadModel keys (lm_head is tied to wte and not saved; masks are not saved)."""
    return {k: v.detach() for k, v in model.state_dict().items()}


def write_safetensors(path, tensors, dtype=torch.float16):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.to(dtype).contiguous().numpy().astype("<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F16"
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f2").copy().reshape(e["shape"])).float()
    return out


def decode(ids, vocab):
    """Byte-level BPE decode: token strings -> bytes via the inverse of GPT-2's bytes_to_unicode."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_of = {chr(c): b for b, c in zip(bs, cs)}
    inv = {i: t for t, i in vocab.items()}
    out = bytearray()
    for i in ids:
        tok = inv[i]
        if tok == "<|endoftext|>":
            out += tok.encode()
        else:
            out += bytes(byte_of[ch] for ch in tok)
    return out.decode("utf-8", errors="replace")


@torch.no_grad()
def greedy(model, ids, n_new):
    model.eval()
    x = torch.tensor([ids])
    for _ in range(n_new):
        logits = model(x[:, -model.cfg.n_positions :])
        x = torch.cat([x, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return x[0].tolist()


# ---------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/webtune-demo-data")
    ap.add_argument("--out", default="public/models/webtune-demo")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--bench", type=int, default=0)
    ap.add_argument("--max-minutes", type=float, default=0, help="emergency stop (0 = none); the card records it")
    ap.add_argument("--time-budget", type=float, default=0,
                    help="minutes; when set, the cosine schedule follows wall-clock time and the run ends at the budget")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    meta = json.load(open(os.path.join(args.data, "meta.json")))
    train = load_tokens(os.path.join(args.data, "train.bin"))
    val = load_tokens(os.path.join(args.data, "val.bin"))
    vx, vy = windows(val, args.seq)
    cfg = Config()
    model = GPT2LMHead(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params {n_params:,}; train tokens {len(train):,}; val windows {len(vx)} x {args.seq}; threads {torch.get_num_threads()}", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    steps = args.bench or args.steps

    budget_s = args.time_budget * 60

    def progress(step):
        """Fraction of the run done: by steps, or by wall clock when --time-budget is set (shared CPUs)."""
        if budget_s and not args.bench:
            return min(1.0, (time.time() - t0) / budget_s)
        return min(1.0, step / steps)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress(step)))

    model.train()
    t0 = time.time()
    ema, done, log, step = None, 0, [], 0
    while True:
        lr = lr_at(step)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = random_batch(train, args.batch, args.seq, gen)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        step = done = step + 1
        last = progress(done) >= 1.0 or (args.max_minutes and time.time() - t0 > args.max_minutes * 60)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if args.bench and done == 3:
            tb = time.time()
        if done % 50 == 0 or last:
            el = time.time() - t0
            print(f"step {done} ({progress(done) * 100:.0f}%) loss {loss.item():.4f} ema {ema:.4f} lr {lr:.2e} gnorm {gnorm:.2f} "
                  f"tok/s {done * args.batch * args.seq / el:.0f} elapsed {el / 60:.1f}m", flush=True)
        if not args.bench and (done % args.eval_every == 0 or last):
            vl = eval_loss(model, vx, vy)
            log.append({"step": done, "train_ema": ema, "val": vl})
            print(f"eval step {done} train(ema) {ema:.4f} val {vl:.4f}", flush=True)
        if last:
            break
    elapsed = time.time() - t0
    if args.bench:
        tps = (steps - 3) * args.batch * args.seq / (time.time() - tb)
        print(f"BENCH steady tokens/s {tps:.0f} -> steps for 40 min: {int(2400 * tps / (args.batch * args.seq))}")
        return
    tokens_seen = done * args.batch * args.seq
    tps = tokens_seen / elapsed

    # Final losses (eval mode): train on 128 windows of the train split, val on all val windows.
    tx, ty = windows(train, args.seq, count=len(vx))
    final_train = eval_loss(model, tx, ty)
    final_val = eval_loss(model, vx, vy)

    os.makedirs(args.out, exist_ok=True)
    st_path = os.path.join(args.out, "model.safetensors")
    write_safetensors(st_path, hf_state(model))
    size = os.path.getsize(st_path)

    # Reload F16 weights into a fresh model; compute the check value on the first 4 val windows.
    m2 = GPT2LMHead(cfg)
    m2.load_state_dict(read_safetensors(st_path), strict=True)
    m2.eval()
    cx, cy = windows(val, 128, count=4)
    check = eval_loss(m2, cx, cy)
    f16_val = eval_loss(m2, vx, vy)
    print(f"CHECK f16 reloaded: mean CE on first 4 val windows of 128 = {check:.6f}; full val {f16_val:.4f}", flush=True)

    eot = meta["eot_id"]
    vocab = json.load(open(os.path.join(args.out, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    vocab["<|endoftext|>"] = eot
    samples = []
    for p in meta.get("prompts", []):
        out = greedy(m2, p["ids"], 40)
        samples.append({"prompt": p["text"], "text": decode(out, vocab)})
        print("SAMPLE", json.dumps(samples[-1]), flush=True)

    hf_config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
        "vocab_size": cfg.vocab_size, "n_positions": cfg.n_positions, "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd, "n_layer": cfg.n_layer, "n_head": cfg.n_head, "n_inner": None,
        "layer_norm_epsilon": cfg.layer_norm_epsilon, "bos_token_id": eot, "eos_token_id": eot,
        "resid_pdrop": cfg.pdrop, "embd_pdrop": cfg.pdrop, "attn_pdrop": cfg.pdrop,
        "initializer_range": cfg.initializer_range, "scale_attn_weights": True, "use_cache": True,
        "tie_word_embeddings": True, "torch_dtype": "float16",
    }
    gen_config = {"_from_model_config": True, "bos_token_id": eot, "eos_token_id": eot, "max_length": cfg.n_positions}
    json.dump(hf_config, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    json.dump(gen_config, open(os.path.join(args.out, "generation_config.json"), "w"), indent=2)
    stats = {
        "params": n_params, "file_bytes": size, "steps": done, "planned_steps": steps, "time_budget_min": args.time_budget, "batch": args.batch,
        "seq": args.seq, "tokens_seen": tokens_seen, "epochs": tokens_seen / len(train), "tokens_per_s": tps,
        "minutes": elapsed / 60, "final_train_loss": final_train, "final_val_loss": final_val,
        "f16_val_loss": f16_val, "check_loss": check, "train_windows": len(tx),
        "val_head": val[:8].tolist(), "val_sum513": int(val[:513].sum()), "train_tokens": len(train), "val_tokens": len(val),
        "seed": args.seed, "lr": args.lr, "min_lr": args.min_lr, "warmup": args.warmup, "log": log,
        "samples": samples, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "command": f"TIME_BUDGET={args.time_budget:g} npm run pretrain-demo" if args.time_budget
        else f"STEPS={steps} npm run pretrain-demo",
    }
    json.dump(stats, open(os.path.join(args.data, "train_stats.json"), "w"), indent=2)
    write_card(os.path.join(args.out, "README.md"), stats, meta)
    print("DONE", json.dumps({k: v for k, v in stats.items() if k not in ("log", "samples")}), flush=True)


def write_card(path, s, meta):
    schedule = (f"The cosine schedule followed wall-clock time over a {s['time_budget_min']:g}-minute budget (the CPUs were "
                f"shared with other jobs); `--steps {s['steps']}` reruns it by step count.\n" if s["time_budget_min"] else "")
    evals = "\n".join(f"| {e['step']} | {e['train_ema']:.3f} | {e['val']:.3f} |" for e in s["log"])
    samples = "\n\n".join(f"Prompt `{x['prompt']}`:\n\n```text\n{x['text']}\n```" for x in s["samples"])
    card = f"""---
license: cc-by-sa-4.0
language: en
library_name: transformers
pipeline_tag: text-generation
tags: [gpt2, tiny, demo, webtune-studio]
---

# webtune-demo

A tiny GPT-2-style language model bundled with WebTune Studio so that fine-tuning in the browser works offline
and in seconds. It is a demo and test model: it writes English-looking text, not reliable facts.

- Architecture: Hugging Face `GPT2LMHeadModel` (learned positions, pre-LayerNorm eps 1e-5, `gelu_new`,
  tied `lm_head`): vocab 4096, context 256, n_embd 256, 4 layers, 4 heads.
- Parameters: {s['params']:,} ({s['params'] / 1e6:.2f}M, tied head counted once).
- File: `model.safetensors`, F16, keys prefixed `transformer.` (Conv1D layout [in, out]), {s['file_bytes']:,} bytes
  ({s['file_bytes'] / 2**20:.2f} MiB).
- Tokenizer: byte-level BPE (GPT-2 pre-tokenization, no prefix space) trained by the project's own trainer
  (`scripts/bpe-trainer.ts`) on the training split: 256 byte tokens + 3,839 merges + `<|endoftext|>` (id {meta['eot_id']}).

## Training data and licences
- Wikipedia sample (`wiki_demo.txt` from LLaMA-Factory's `data/` folder): CC BY-SA 4.0.
- C4 sample (`c4_demo.jsonl`, same source): ODC-BY.

Documents are joined with `<|endoftext|>`. About 3% of the characters (whole documents, chosen by a seeded
shuffle) are held out for validation: {meta['train_docs']} train documents ({s['train_tokens']:,} tokens),
{meta['val_docs']} validation documents ({s['val_tokens']:,} tokens). Because the weights are trained on CC BY-SA
text, the model is released under CC BY-SA 4.0.

## Training
PyTorch {s['torch']} on CPU ({s['threads']} threads), seed {s['seed']}. AdamW (betas 0.9/0.95, weight decay 0.1 on
matrices and embeddings), peak lr {s['lr']:g}, {s['warmup']} warmup steps, cosine decay to {s['min_lr']:g}, gradient
clip 1.0, dropout 0.1, batches of {s['batch']} random windows x {s['seq']} tokens.

{schedule}
- Steps: {s['steps']:,}; tokens seen: {s['tokens_seen']:,} (~{s['epochs']:.1f} epochs); {s['minutes']:.1f} minutes,
  {s['tokens_per_s']:.0f} tokens/s.
- Final train loss: {s['final_train_loss']:.4f} (eval mode, the first {s['train_windows']} non-overlapping 128-token
  windows of the train split).
- Final validation loss: {s['final_val_loss']:.4f} (eval mode, every non-overlapping 128-token window of the
  validation split); with the saved F16 weights: {s['f16_val_loss']:.4f}.

| step | train loss (EMA) | val loss |
| --- | --- | --- |
{evals}

## Check value for other implementations
check: {s['check_loss']:.6f} = mean cross-entropy (natural log) over the 512 next-token predictions of the
first 4 validation windows, computed in float32 from the saved F16 weights, no dropout. Window k (k = 0..3)
has inputs `val[128k : 128k + 128]` and targets `val[128k + 1 : 128k + 129]`, where `val` is the validation
token stream written by `scripts/tokenize-corpus.ts` (`val.bin`: the validation documents, each encoded with
this tokenizer and followed by `<|endoftext|>`): {s['val_tokens']:,} tokens starting {s['val_head']}, and
`sum(val[0:513])` = {s['val_sum513']}.

## Greedy samples (40 new tokens, F16 weights)
{samples}

## Reproduce
`{s['command']}` (runs `scripts/pretrain-demo.sh`: train tokenizer -> tokenize corpus ->
`scripts/pretrain_demo.py` with Debian's `/usr/bin/python3` + `python3-torch`, `OMP_NUM_THREADS=2`).
The corpus is read from `../shared/data` (override with `DEMO_DATA_DIR`). A wall-clock schedule depends on the
machine's speed; `STEPS=N` gives a run that is the same on every machine (the default, 1600 steps, takes about
40 minutes at ~1,450 tokens/s on 2 unshared cores and trains further than this file).
"""
    open(path, "w", encoding="utf-8").write(card)


if __name__ == "__main__":
    main()
