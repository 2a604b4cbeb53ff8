#!/usr/bin/python3
"""Independent reference for prompt tuning, prefix tuning and bottleneck adapters (lib/engine/parity-prompt.test.ts):
GPT-2 and Llama-family forward passes in float64 PyTorch written as transformers runs them under PEFT, beside the
plain ones in parity_ref.py (whose file readers and RoPE frequencies this reuses):
- PROMPT_TUNING (PeftModelForCausalLM.forward): inputs_embeds = cat(prompt_embeddings, embed(ids)); positions 0..;
  the logits of the input tokens are the rows after the virtual ones.
- PREFIX_TUNING (PeftModel.get_prompt): prompt_embeddings [n, layers*2*token_dim] viewed as
  [B, n, layers*2, heads, head_dim], permuted [2, 0, 3, 1, 4] and split in pairs: (key, value) [B, heads, n, D] per
  layer, the attention cache; keys are not rotated again; input tokens take positions n..n+T-1 (past length).
- BOTTLENECK (this studio's layout, README): h -> h + up(swish(down(h))) on each attention and MLP output.
Loss: the causal LM loss of the input tokens (masked); gradients with respect to every adapter tensor.

usage: /usr/bin/python3 scripts/parity_prompt_ref.py spec.json   (spec: model_dir, adapter_dir, tokens, mask)
       -> prints JSON {"logits": [...flat, input tokens only], "loss": x, "grads": {tensor name: [...flat]}}
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_ref import DT, gpt2_act, inv_frequencies, read_folder, read_safetensors  # noqa: E402


class Adapter:
    """The adapter folder's tensors (trainable leaves) and how each hook uses them."""

    def __init__(self, adapter_dir):
        with open(os.path.join(adapter_dir, 'adapter_config.json')) as f:
            self.config = json.load(f)
        self.type = self.config['peft_type']
        self.tensors = {k: t.clone().requires_grad_(True) for k, t in read_safetensors(os.path.join(adapter_dir, 'adapter_model.safetensors')).items()}

    def prompt(self, B):
        if self.type != 'PROMPT_TUNING':
            return None
        return self.tensors['prompt_embeddings'].unsqueeze(0).expand(B, -1, -1)

    def past(self, B):
        """PEFT's get_prompt for prefix tuning: one (key, value) pair per layer, [B, heads, n, D] each."""
        if self.type != 'PREFIX_TUNING':
            return None
        c = self.config
        n, L, H = c['num_virtual_tokens'], c['num_layers'], c['num_attention_heads']
        D = c['token_dim'] // H
        pkv = self.tensors['prompt_embeddings'].unsqueeze(0).expand(B, -1, -1).reshape(B, n, L * 2, H, D)
        pkv = pkv.permute([2, 0, 3, 1, 4]).split(2)
        return [(kv[0], kv[1]) for kv in pkv]

    def block_output(self, module, h):
        if self.type != 'BOTTLENECK':
            return h
        g = lambda k: self.tensors[f'{module}.adapters.default.{k}']
        mid = h @ g('adapter_down.0.weight').t() + g('adapter_down.0.bias')
        return h + (mid * torch.sigmoid(mid)) @ g('adapter_up.weight').t() + g('adapter_up.bias')


def mask_for(T, P):
    """Rows T over keys [P past; T]: the past is open, the rest causal (HF's attention mask with prefix ones)."""
    return torch.cat([torch.zeros(T, P, dtype=DT), torch.triu(torch.full((T, T), float('-inf'), dtype=DT), diagonal=1)], dim=1)


def gpt2_logits(c, w, ids, ad):
    B, T0 = ids.shape
    C, H = c['n_embd'], c['n_head']
    D = C // H
    g = lambda k: w['transformer.' + k]
    conv1d = lambda x, p: x @ g(p + '.weight') + g(p + '.bias')
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (C,), g(p + '.weight'), g(p + '.bias'), c.get('layer_norm_epsilon', 1e-5))
    x = g('wte.weight')[ids]
    prompt, past = ad.prompt(B), ad.past(B)
    if prompt is not None:
        x = torch.cat([prompt, x], dim=1)
    T = x.shape[1]
    P = past[0][0].shape[2] if past else 0
    x = x + g('wpe.weight')[P:P + T]  # position_ids start at the past length
    act = gpt2_act(c.get('activation_function', 'gelu_new'))
    for i in range(c['n_layer']):
        q, k, v = conv1d(ln(x, f'h.{i}.ln_1'), f'h.{i}.attn.c_attn').split(C, dim=-1)
        q, k, v = [t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v)]
        if past:
            k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask_for(T, P), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + ad.block_output(f'transformer.h.{i}.attention_adapters', conv1d(y, f'h.{i}.attn.c_proj'))
        x = x + ad.block_output(f'transformer.h.{i}.output_adapters', conv1d(act(conv1d(ln(x, f'h.{i}.ln_2'), f'h.{i}.mlp.c_fc')), f'h.{i}.mlp.c_proj'))
    x = ln(x, 'ln_f')
    return (x @ g('wte.weight').t())[:, T - T0:]


def rope_at(q, inv_freq, D, start, T):
    freqs = torch.outer(torch.arange(start, start + T, dtype=DT), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    rotate_half = torch.cat([-q[..., D // 2:], q[..., :D // 2]], dim=-1)
    return q * emb.cos() + rotate_half * emb.sin()


def llama_logits(c, w, ids, ad):
    B, T0 = ids.shape
    C, H = c['hidden_size'], c['num_attention_heads']
    KV = c.get('num_key_value_heads') or H
    D = c.get('head_dim') or C // H
    eps = c.get('rms_norm_eps', 1e-6)
    theta = c.get('rope_theta') or (c.get('rope_parameters') or {}).get('rope_theta', 10000.0)

    def linear(x, p):
        y = x @ w[p + '.weight'].t()
        return y + w[p + '.bias'] if p + '.bias' in w else y

    rms = lambda x, key: w[key] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))
    inv_freq = inv_frequencies(c, theta, D)
    x = w['model.embed_tokens.weight'][ids]
    prompt, past = ad.prompt(B), ad.past(B)
    if prompt is not None:
        x = torch.cat([prompt, x], dim=1)
    T = x.shape[1]
    P = past[0][0].shape[2] if past else 0
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        a = rms(x, p + 'input_layernorm.weight')
        q = linear(a, p + 'self_attn.q_proj').view(B, T, H, D).transpose(1, 2)
        k = linear(a, p + 'self_attn.k_proj').view(B, T, KV, D).transpose(1, 2)
        v = linear(a, p + 'self_attn.v_proj').view(B, T, KV, D).transpose(1, 2)
        q, k = rope_at(q, inv_freq, D, P, T), rope_at(k, inv_freq, D, P, T)  # cache_position starts at P
        if past:
            k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask_for(T, P), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, H * D)
        x = x + ad.block_output(f'{p}attention_adapters', linear(y, p + 'self_attn.o_proj'))
        m = rms(x, p + 'post_attention_layernorm.weight')
        x = x + ad.block_output(f'{p}output_adapters', linear(torch.nn.functional.silu(linear(m, p + 'mlp.gate_proj')) * linear(m, p + 'mlp.up_proj'), p + 'mlp.down_proj'))
    x = rms(x, 'model.norm.weight')
    head = w['model.embed_tokens.weight'] if c.get('tie_word_embeddings', False) else w['lm_head.weight']
    return (x @ head.t())[:, T - T0:]


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    with open(os.path.join(spec['model_dir'], 'config.json')) as f:
        c = json.load(f)
    w = read_folder(spec['model_dir'])
    ad = Adapter(spec['adapter_dir'])
    ids = torch.tensor(spec['tokens'])
    mask = torch.tensor(spec['mask'], dtype=DT)
    logits = (gpt2_logits if c['model_type'] == 'gpt2' else llama_logits)(c, w, ids, ad)
    logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
    m = mask[:, 1:]
    loss = -(logp * m).sum() / m.sum().clamp(min=1)
    loss.backward()
    grads = {k: t.grad.flatten().tolist() for k, t in ad.tensors.items()}
    print(json.dumps({'logits': logits.detach().flatten().tolist(), 'loss': loss.item(), 'grads': grads}))


if __name__ == '__main__':
    main()
