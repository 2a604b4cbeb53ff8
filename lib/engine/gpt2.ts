// GPT-2 as pure functions over a weight map keyed by HF names (without `transformer.`):
// learned positions, pre-LayerNorm blocks, gelu_new MLP, causal attention, lm_head tied to wte.
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding';
import { sdpa } from './attention';
import { attentionDropout, baseLinear, blockOutputHook, dropout, lmHead, linearHook, makeCtx, runBlock, weight, type Ctx as FCtx, type ForwardOptions } from './forward-ctx';
import { gpt2ParamShapes } from './params';
import { inputRows, keysValues, sequencePlan, withVirtualRows, type SeqPlan } from './sequence';
import { mulberry32, normalArray } from './random';
import type { Gpt2Config, WeightMap } from './types';

export type { ForwardOptions } from './forward-ctx';
export { causalMask, lmHead } from './forward-ctx';

type Ctx = FCtx<Gpt2Config>;

/** Normalises the last axis; biased variance as torch.nn.LayerNorm. x [N, C]. */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w), b);
}

/** GELU, tanh approximation (HF "gelu_new"), as GPT-2 was trained with. */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** GELU with erf (HF "gelu"), as torch.nn.functional.gelu. */
function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** HF ACT2FN names GPT-2 configs use; gelu_pytorch_tanh and gelu_fast are the tanh form too. */
const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  gelu_new: geluNew, gelu_pytorch_tanh: geluNew, gelu_fast: geluNew, gelu: geluErf,
  relu: (x) => tf.relu(x), silu: (x) => tf.mul(x, tf.sigmoid(x)), swish: (x) => tf.mul(x, tf.sigmoid(x)), tanh: (x) => tf.tanh(x),
};
export const GPT2_ACTIVATIONS = Object.keys(ACTIVATIONS);

/** Conv1D: x [N, in] @ W [in, out] + b, plus the LoRA branch when this module is adapted. */
function linear(ctx: Ctx, x: tf.Tensor2D, path: string): tf.Tensor2D {
  const y = tf.add(baseLinear(ctx, x, path, false), weight(ctx, path + '.bias')) as tf.Tensor2D;
  return linearHook(ctx, x, y, path);
}

/** Multi-head causal self-attention; x [N, C] with N = B*L rows; keys over the plan's past slots and the rows;
 * mask [L, P+L] or [B, 1, L, P+L] (packed), additive. */
function attention(ctx: Ctx, x: tf.Tensor2D, i: number, plan: SeqPlan, mask: tf.Tensor): tf.Tensor2D {
  const { B, L } = plan;
  const C = ctx.c.n_embd;
  const H = ctx.c.n_head;
  const D = C / H;
  const qkv = linear(ctx, x, `h.${i}.attn.c_attn`); // [N, 3C]
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, L, H, D]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, L, D]
  const [q, k0, v0] = tf.split(qkv, 3, 1).map(heads);
  const { k, v } = keysValues(ctx.adapter, plan, i, k0, v0, ctx.cache); // [B, H, P+L, D]
  // HF: scores / sqrt(D) unless scale_attn_weights is false, and / (layer + 1) with scale_attn_by_inverse_layer_idx.
  const scale = (ctx.c.scale_attn_weights === false ? 1 : 1 / Math.sqrt(D)) / (ctx.c.scale_attn_by_inverse_layer_idx ? i + 1 : 1);
  const att = sdpa(q, k, v, mask, scale, attentionDropout(ctx)); // [B, H, L, D]
  const y: tf.Tensor2D = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B * L, C]); // [N, C]
  return blockOutputHook(ctx, i, 'attn', dropout(ctx, linear(ctx, y, `h.${i}.attn.c_proj`)));
}

function mlp(ctx: Ctx, x: tf.Tensor2D, i: number): tf.Tensor2D {
  const act = ACTIVATIONS[ctx.c.activation_function ?? 'gelu_new'];
  if (!act) throw new Error(`GPT-2 activation_function "${ctx.c.activation_function}" is not supported (${GPT2_ACTIVATIONS.join(', ')})`);
  const h = act(linear(ctx, x, `h.${i}.mlp.c_fc`)) as tf.Tensor2D; // [N, I], I = n_inner or 4C
  return blockOutputHook(ctx, i, 'mlp', dropout(ctx, linear(ctx, h, `h.${i}.mlp.c_proj`))); // [N, C]
}

function block(ctx: Ctx, x: tf.Tensor2D, i: number, plan: SeqPlan, mask: tf.Tensor): tf.Tensor2D {
  const eps = ctx.c.layer_norm_epsilon;
  const ln = (t: tf.Tensor2D, n: string) => layerNorm(t, weight(ctx, `h.${i}.${n}.weight`), weight(ctx, `h.${i}.${n}.bias`), eps) as tf.Tensor2D;
  const a = tf.add(x, attention(ctx, ln(x, 'ln_1'), i, plan, mask)) as tf.Tensor2D;
  return tf.add(a, mlp(ctx, ln(a, 'ln_2'), i)) as tf.Tensor2D;
}

/** Final hidden states after ln_f of the input tokens; ids [B, T] int32 -> [B, T, C]. With a prompt-tuning
 * adapter its virtual rows run first; with a prefix or a filled cache the tokens start at position P. */
export function gpt2Hidden(config: Gpt2Config, weights: WeightMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  const [B, T] = ids.shape;
  const C = config.n_embd;
  const ctx: Ctx = makeCtx(config, weights, opts);
  const plan = sequencePlan(opts.adapter, B, T, opts.segments, opts.cache);
  const { L, past } = plan;
  if (past + L > config.n_positions) throw new Error(`Sequence of ${past + L} positions (${T} tokens after ${past + plan.virtual} adapter or cached ones) is longer than the model's ${config.n_positions} positions`);
  const tok = withVirtualRows(opts.adapter, plan, embeddingLookup(weight(ctx, 'wte.weight'), ids) as tf.Tensor3D); // [B, L, C]
  // Packed rows gather each token's position embedding by its position in its example: [B, L, C].
  const pos = plan.positions ? embeddingLookup(weight(ctx, 'wpe.weight'), plan.positions) : tf.slice(weight(ctx, 'wpe.weight'), [past, 0], [L, C]); // [L, C]
  let x = dropout(ctx, tf.reshape(tf.add(tok, pos), [B * L, C]) as tf.Tensor2D); // [N, C]
  for (let i = 0; i < config.n_layer; i++) x = runBlock(ctx, i, `h.${i}.`, x, [plan.mask], (c, xi, [m]) => block(c, xi, i, plan, m));
  if (opts.cache) opts.cache.length = past + L;
  const h = layerNorm(x, weight(ctx, 'ln_f.weight'), weight(ctx, 'ln_f.bias'), config.layer_norm_epsilon) as tf.Tensor2D;
  return inputRows(h, plan);
}

/** Logits [B, T, V] for ids [B, T] (int32). */
export function gpt2Forward(config: Gpt2Config, weights: WeightMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  return tf.tidy(() => {
    const wte = weights.get('wte.weight');
    if (!wte) throw new Error('GPT-2 weight wte.weight is missing');
    return lmHead(gpt2Hidden(config, weights, ids, opts), wte);
  });
}

/** GPT-2's init (HF _init_weights): N(0, 0.02), residual projections N(0, 0.02/sqrt(2*n_layer)), LN 1/0, biases 0. */
export function initGpt2Weights(config: Gpt2Config, seed: number): WeightMap {
  const rng = mulberry32(seed);
  const out: WeightMap = new Map();
  for (const [key, shape] of gpt2ParamShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (/ln_\w+\.weight$/.test(key)) data = new Float32Array(n).fill(1);
    else if (key.endsWith('.bias')) data = new Float32Array(n);
    else if (key.endsWith('c_proj.weight')) data = normalArray(n, 0.02 / Math.sqrt(2 * config.n_layer), rng);
    else data = normalArray(n, 0.02, rng);
    out.set(key, tf.tensor(data, shape, 'float32'));
  }
  return out;
}

export function disposeWeights(weights: WeightMap): void {
  for (const t of weights.values()) t.dispose();
}
