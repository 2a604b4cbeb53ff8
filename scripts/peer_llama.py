"""A Llama-family causal LM in plain PyTorch for the benchmark peer (scripts/bench_peer.py): the same computation as
the engine's lib/engine/llama.ts (RMSNorm, rotary positions, grouped-query attention written as matmuls over the
full T x T scores, SwiGLU, optionally tied head), random init from config.json's fields, and LoRA on named
projections. Written from the Hugging Face modeling equations; no transformers needed (torch 1.13 to 2.x)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class LoraLinear(nn.Module):
    """y = base(x) + (x @ A^T @ B^T) * alpha / r, base frozen (PEFT's LoRA on nn.Linear)."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.A.t() @ self.B.t()) * self.scaling


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.H, self.KV, self.D = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        C, bias = c["hidden_size"], c.get("attention_bias", False)
        self.q_proj = nn.Linear(C, self.H * self.D, bias=bias)
        self.k_proj = nn.Linear(C, self.KV * self.D, bias=bias)
        self.v_proj = nn.Linear(C, self.KV * self.D, bias=bias)
        self.o_proj = nn.Linear(self.H * self.D, C, bias=bias)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.H, self.D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.KV, self.D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.KV, self.D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.H // self.KV
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        att = F.softmax((q @ k.transpose(-2, -1)) / math.sqrt(self.D) + mask, dim=-1)  # [B, H, T, T]
        return self.o_proj((att @ v).transpose(1, 2).reshape(B, T, self.H * self.D))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, I, bias = c["hidden_size"], c["intermediate_size"], c.get("mlp_bias", False)
        self.input_layernorm = RMSNorm(C, c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(C, c["rms_norm_eps"])
        self.gate_proj = nn.Linear(C, I, bias=bias)
        self.up_proj = nn.Linear(C, I, bias=bias)
        self.down_proj = nn.Linear(I, C, bias=bias)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class LlamaLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        C, V = c["hidden_size"], c["vocab_size"]
        self.embed_tokens = nn.Embedding(V, C)
        self.layers = nn.ModuleList([Block(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(C, c["rms_norm_eps"])
        self.lm_head = None if c.get("tie_word_embeddings", True) else nn.Linear(C, V, bias=False)
        std = c.get("initializer_range", 0.02)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        D = c["head_dim"]
        self.inv_freq = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, D, 2).float() / D))

    def add_lora(self, targets, r):
        for p in self.parameters():
            p.requires_grad_(False)
        for block in self.layers:
            for owner in (block.self_attn, block):
                for name in targets:
                    if isinstance(getattr(owner, name, None), nn.Linear):
                        setattr(owner, name, LoraLinear(getattr(owner, name), r, 2 * r))

    def forward(self, idx, targets):
        T = idx.shape[1]
        ang = torch.outer(torch.arange(T, device=idx.device).float(), self.inv_freq.to(idx.device))
        emb = torch.cat((ang, ang), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((T, T), float("-inf"), device=idx.device).triu(1)
        x = self.embed_tokens(idx)
        for block in self.layers:
            x = block(x, cos, sin, mask)
        x = self.norm(x)
        logits = x @ (self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight).t()
        return logits, F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))
