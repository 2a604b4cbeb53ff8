#!/usr/bin/python3
"""Independent reference for the engine's parity test: GPT-2 and Llama-family (llama, qwen2, mistral) forward
passes written from the Hugging Face modeling equations in plain PyTorch (no transformers, no safetensors
package), in float64, plus one loss and its gradients with respect to every tensor of a PEFT adapter: LoRA
(lora_A / lora_B), DoRA (and lora_magnitude_vector) or IA3 (ia3_l), each written from PEFT's layer formulas.

usage: /usr/bin/python3 scripts/parity_ref.py spec.json   (spec: model_dir, tokens [[...]], mask [[...]],
       optional adapter_dir) -> prints JSON {"logits": [...flat], "loss": x, "grads": {peft_key: [...flat]}}
"""
import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch

DT = torch.float64


def read_safetensors(path):
    """Parses the format by hand: u64 header length, JSON header, raw little-endian data."""
    with open(path, 'rb') as f:
        buf = f.read()
    n = struct.unpack('<Q', buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, end = e['data_offsets']
        raw = buf[8 + n + b:8 + n + end]
        if e['dtype'] == 'F32':
            a = np.frombuffer(raw, dtype='<f4')
        elif e['dtype'] == 'F16':
            a = np.frombuffer(raw, dtype='<f2').astype(np.float32)
        elif e['dtype'] == 'BF16':
            a = (np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError('unsupported dtype ' + e['dtype'])
        out[name] = torch.tensor(a.astype(np.float64)).reshape(e['shape'])
    return out


def read_folder(d):
    if os.path.exists(os.path.join(d, 'model.safetensors.index.json')):
        with open(os.path.join(d, 'model.safetensors.index.json')) as f:
            files = sorted(set(json.load(f)['weight_map'].values()))
    else:
        files = ['model.safetensors']
    w = {}
    for f in files:
        w.update(read_safetensors(os.path.join(d, f)))
    return w


class Adapter:
    """A PEFT adapter read from its folder, applied where PEFT's layers apply it, keyed by module path as in the
    checkpoint. Every linear calls pre(path, x) for its input and post(path, x, y, W, b) for its output, with
    W [out, in] (GPT-2's Conv1D weight transposed) and y = pre(x) @ W^T + b.
      LORA:  y + (x A^T B^T) * s                                          (tuners/lora/layer.py)
      DoRA:  n = ||W + s B A|| per output row, detached; k = m / n;
             y + (k - 1) * (y - b) + k * (x A^T B^T) * s                  (tuners/lora/dora.py, no dropout)
      IA3:   target modules y * l (bias included); feedforward_modules x * l before the layer (tuners/ia3/layer.py)
    """

    def __init__(self, adapter_dir):
        self.kind, self.mods, self.params = None, {}, {}
        if not adapter_dir:
            return
        with open(os.path.join(adapter_dir, 'adapter_config.json')) as f:
            c = json.load(f)
        tensors = read_safetensors(os.path.join(adapter_dir, 'adapter_model.safetensors'))
        if c['peft_type'] == 'LORA':
            self.kind = 'dora' if c.get('use_dora') else 'lora'
            self.config = c
        elif c['peft_type'] == 'IA3':
            self.kind = 'ia3'
            self.feedforward = c.get('feedforward_modules') or []
        else:
            raise SystemExit(f"parity_ref.py: peft_type {c['peft_type']} is not modelled")
        for k, t in tensors.items():
            name = k[len('base_model.model.'):]
            for suffix in ('.lora_A.weight', '.lora_B.weight', '.lora_magnitude_vector', '.ia3_l'):
                if name.endswith(suffix):
                    path = name[:-len(suffix)]
                    p = t.clone().requires_grad_(True)
                    self.mods.setdefault(path, {})[suffix.split('.')[1]] = p
                    self.params[k] = p

    def scaling(self, path):
        """alpha / r (or / sqrt(r) with rsLoRA), r and alpha from rank_pattern / alpha_pattern where a key matches
        the end of the module path as PEFT's get_pattern_key does."""
        c = self.config

        def pattern(name, default):
            for key, v in (c.get(name) or {}).items():
                if re.match(rf'(.*\.)?({key})$', path):
                    return v
            return default
        r, alpha = pattern('rank_pattern', c['r']), pattern('alpha_pattern', c['lora_alpha'])
        return alpha / math.sqrt(r) if c.get('use_rslora') else alpha / r

    def is_ff(self, path):
        return any(path == f or path.endswith('.' + f) for f in self.feedforward)

    def pre(self, path, x):
        m = self.mods.get(path)
        if self.kind == 'ia3' and m is not None and self.is_ff(path):
            return x * m['ia3_l'].flatten()
        return x

    def post(self, path, x, y, W, b):
        m = self.mods.get(path)
        if m is None:
            return y
        if self.kind == 'ia3':
            return y if self.is_ff(path) else y * m['ia3_l'].flatten()
        s = self.scaling(path)
        lora = (x @ m['lora_A'].t() @ m['lora_B'].t()) * s
        if self.kind == 'lora':
            return y + lora
        norm = (W + s * (m['lora_B'] @ m['lora_A'])).norm(dim=1).detach()
        k = m['lora_magnitude_vector'] / norm
        base = y - b if b is not None else y
        return y + (k - 1) * base + k * lora


def causal_mask(T):
    return torch.triu(torch.full((T, T), float('-inf'), dtype=DT), diagonal=1)


def gpt2_act(name):
    return {
        'gelu_new': lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
        'gelu': lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2))),
        'relu': torch.relu,
    }[name]


def gpt2_logits(c, w, ids, lora):
    B, T = ids.shape
    C, H = c['n_embd'], c['n_head']
    D = C // H
    g = lambda k: w['transformer.' + k]

    def conv1d(x, p):  # Conv1D: x @ W[in, out] + b
        path = 'transformer.' + p
        xin = lora.pre(path, x)
        return lora.post(path, x, xin @ g(p + '.weight') + g(p + '.bias'), g(p + '.weight').t(), g(p + '.bias'))

    def ln(x, p):
        return torch.nn.functional.layer_norm(x, (C,), g(p + '.weight'), g(p + '.bias'), c.get('layer_norm_epsilon', 1e-5))

    x = g('wte.weight')[ids] + g('wpe.weight')[:T]
    act = gpt2_act(c.get('activation_function', 'gelu_new'))
    for i in range(c['n_layer']):
        q, k, v = conv1d(ln(x, f'h.{i}.ln_1'), f'h.{i}.attn.c_attn').split(C, dim=-1)
        q, k, v = [t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v)]
        scale = (1 / math.sqrt(D) if c.get('scale_attn_weights', True) else 1.0) / (i + 1 if c.get('scale_attn_by_inverse_layer_idx') else 1)
        att = torch.softmax(q @ k.transpose(-1, -2) * scale + causal_mask(T), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + conv1d(y, f'h.{i}.attn.c_proj')
        x = x + conv1d(act(conv1d(ln(x, f'h.{i}.ln_2'), f'h.{i}.mlp.c_fc')), f'h.{i}.mlp.c_proj')
    x = ln(x, 'ln_f')
    return x @ g('wte.weight').t()


def inv_frequencies(c, theta, D):
    """transformers' ROPE_INIT_FUNCTIONS: default, linear (all / factor) and llama3 (long wavelengths / factor)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=DT) / D))
    s = c.get('rope_scaling') or c.get('rope_parameters') or {}
    kind = s.get('rope_type', s.get('type', 'default'))
    if kind == 'linear':
        return inv_freq / s['factor']
    if kind == 'llama3':
        factor, lo, hi, ctx = s['factor'], s['low_freq_factor'], s['high_freq_factor'], s['original_max_position_embeddings']
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > ctx / lo, inv_freq / factor, inv_freq)
        smooth = (ctx / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < ctx / hi) & ~(wavelen > ctx / lo)
        return torch.where(medium, smoothed, scaled)
    return inv_freq


def rope(q, inv_freq, D, T):
    freqs = torch.outer(torch.arange(T, dtype=DT), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    rotate_half = torch.cat([-q[..., D // 2:], q[..., :D // 2]], dim=-1)
    return q * emb.cos() + rotate_half * emb.sin()


def llama_logits(c, w, ids, lora):
    B, T = ids.shape
    C, H = c['hidden_size'], c['num_attention_heads']
    KV = c.get('num_key_value_heads') or H
    D = c.get('head_dim') or C // H
    eps = c.get('rms_norm_eps', 1e-6)
    theta = c.get('rope_theta') or (c.get('rope_parameters') or {}).get('rope_theta', 10000.0)

    def linear(x, p):
        y = lora.pre(p, x) @ w[p + '.weight'].t()
        b = w.get(p + '.bias')
        if b is not None:
            y = y + b
        return lora.post(p, x, y, w[p + '.weight'], b)

    def rms(x, key):
        return w[key] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    inv_freq = inv_frequencies(c, theta, D)
    x = w['model.embed_tokens.weight'][ids]
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        a = rms(x, p + 'input_layernorm.weight')
        q = linear(a, p + 'self_attn.q_proj').view(B, T, H, D).transpose(1, 2)
        k = linear(a, p + 'self_attn.k_proj').view(B, T, KV, D).transpose(1, 2)
        v = linear(a, p + 'self_attn.v_proj').view(B, T, KV, D).transpose(1, 2)
        q, k = rope(q, inv_freq, D, T), rope(k, inv_freq, D, T)
        k = k.repeat_interleave(H // KV, dim=1)  # repeat_kv
        v = v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + causal_mask(T), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, H * D)
        x = x + linear(y, p + 'self_attn.o_proj')
        m = rms(x, p + 'post_attention_layernorm.weight')
        x = x + linear(torch.nn.functional.silu(linear(m, p + 'mlp.gate_proj')) * linear(m, p + 'mlp.up_proj'), p + 'mlp.down_proj')
    x = rms(x, 'model.norm.weight')
    head = w['model.embed_tokens.weight'] if c.get('tie_word_embeddings', False) else w['lm_head.weight']
    return x @ head.t()


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    with open(os.path.join(spec['model_dir'], 'config.json')) as f:
        c = json.load(f)
    w = read_folder(spec['model_dir'])
    lora = Adapter(spec.get('adapter_dir'))
    ids = torch.tensor(spec['tokens'])
    mask = torch.tensor(spec['mask'], dtype=DT)
    logits = (gpt2_logits if c['model_type'] == 'gpt2' else llama_logits)(c, w, ids, lora)
    # Causal LM loss: position t predicts ids[t+1]; mean over targets whose mask is 1.
    logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    m = mask[:, 1:]
    loss = -(logp * m).sum() / m.sum().clamp(min=1)
    grads = {}
    if lora.params:
        loss.backward()
        grads = {k: t.grad.flatten().tolist() for k, t in lora.params.items()}
    print(json.dumps({'logits': logits.detach().flatten().tolist(), 'loss': loss.item(), 'grads': grads}))


if __name__ == '__main__':
    main()
