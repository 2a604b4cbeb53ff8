// The Llama family (llama, qwen2, mistral) as pure functions over HF-named weights: RMSNorm, rotary embeddings
// (rotate_half layout, tables from rope.ts), grouped-query causal attention, SwiGLU MLP, tied or separate lm_head.
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding';
import { sdpa } from './attention';
import { attentionDropout, baseLinear, blockOutputHook, dropout, lmHead, linearHook, makeCtx, runBlock, weight, type Ctx as FCtx, type ForwardOptions } from './forward-ctx';
import { llamaParamShapes } from './params';
import { mulberry32, normalArray } from './random';
import { ropeTables } from './rope';
import { inputRows, keysValues, sequencePlan, withVirtualRows, type SeqPlan } from './sequence';
import type { LlamaConfig, WeightMap } from './types';

type Ctx = FCtx<LlamaConfig>;

/** RMSNorm as HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w; x [N, C]. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const ms = tf.mean(tf.square(x), -1, true); // [N, 1]
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w);
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1]; x [B, heads, T, D], tables [T, D] or [B, 1, T, D]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const [x1, x2] = tf.split(x, 2, 3);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/** nn.Linear: x [N, in] @ W^T with W [out, in], optional bias, plus the LoRA branch when adapted. */
function linear(ctx: Ctx, x: tf.Tensor2D, path: string): tf.Tensor2D {
  let y = baseLinear(ctx, x, path, true); // [N, out]
  const b = ctx.w.get(path + '.bias');
  if (b) y = tf.add(y, b) as tf.Tensor2D;
  return linearHook(ctx, x, y, path);
}

export interface Shape {
  plan: SeqPlan; // rows L (virtual + input), past slots P
  mask: tf.Tensor; // additive: [L, P+L] causal, or [B, 1, L, P+L] causal and same-segment (packed)
  cos: tf.Tensor; // [L, D] for positions P..P+L-1, or [B, 1, L, D] gathered per token position (packed)
  sin: tf.Tensor;
}

/** Grouped-query causal attention; x [N, C] with N = B*L. Query heads h*rep..h*rep+rep-1 share key/value head h;
 * keys run over the past slots (prefix or cache, already as stored) and the rows. */
function attention(ctx: Ctx, x: tf.Tensor2D, i: number, s: Shape): tf.Tensor2D {
  const { B, L } = s.plan;
  const H = ctx.c.num_attention_heads, KV = ctx.c.num_key_value_heads, D = ctx.c.head_dim;
  const p = `model.layers.${i}.self_attn.`;
  const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, L, n, D]), [0, 2, 1, 3]) as tf.Tensor4D;
  const q = applyRope(heads(linear(ctx, x, p + 'q_proj'), H), s.cos, s.sin); // [B, H, L, D]
  const k0 = applyRope(heads(linear(ctx, x, p + 'k_proj'), KV), s.cos, s.sin); // [B, KV, L, D]
  const v0 = heads(linear(ctx, x, p + 'v_proj'), KV); // [B, KV, L, D]
  const { k, v } = keysValues(ctx.adapter, s.plan, i, k0, v0, ctx.cache); // [B, KV, S, D]
  const y = sdpa(q, k, v, s.mask, 1 / Math.sqrt(D), attentionDropout(ctx)); // [B, H, L, D]
  const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * L, H * D]) as tf.Tensor2D;
  return blockOutputHook(ctx, i, 'attn', dropout(ctx, linear(ctx, merged, p + 'o_proj'))); // [N, C]
}

/** SwiGLU: down(silu(gate(x)) * up(x)); x [N, C] -> [N, C]. */
function mlp(ctx: Ctx, x: tf.Tensor2D, i: number): tf.Tensor2D {
  const p = `model.layers.${i}.mlp.`;
  const g = linear(ctx, x, p + 'gate_proj'); // [N, I]
  const h = tf.mul(tf.mul(g, tf.sigmoid(g)), linear(ctx, x, p + 'up_proj')) as tf.Tensor2D;
  return blockOutputHook(ctx, i, 'mlp', dropout(ctx, linear(ctx, h, p + 'down_proj')));
}

function block(ctx: Ctx, x: tf.Tensor2D, i: number, s: Shape): tf.Tensor2D {
  const eps = ctx.c.rms_norm_eps;
  const p = `model.layers.${i}.`;
  const a = tf.add(x, attention(ctx, rmsNorm(x, weight(ctx, p + 'input_layernorm.weight'), eps) as tf.Tensor2D, i, s)) as tf.Tensor2D;
  return tf.add(a, mlp(ctx, rmsNorm(a, weight(ctx, p + 'post_attention_layernorm.weight'), eps) as tf.Tensor2D, i)) as tf.Tensor2D;
}

/** Mask and rotary tables of a pass: positions P..P+L-1 after the plan's past slots, or per packed segment when
 * opts.segments is set. (Exported for tests: RoPE scores depend only on relative positions, so logits alone cannot
 * show a restart.) */
export function attentionShape(config: LlamaConfig, B: number, T: number, opts: ForwardOptions): Shape {
  const D = config.head_dim;
  const plan = sequencePlan(opts.adapter, B, T, opts.segments, opts.cache);
  const { L, past } = plan;
  const positions = plan.positions; // packed: each below past + L
  const tables = ropeTables(past + L, D, config.rope_theta, config.rope_scaling); // [P+L, D] each
  if (!positions) {
    if (past === 0) return { plan, mask: plan.mask, ...tables };
    const rows = (t: tf.Tensor2D) => tf.slice(t, [past, 0], [L, D]);
    const out = { plan, mask: plan.mask, cos: rows(tables.cos), sin: rows(tables.sin) };
    tf.dispose([tables.cos, tables.sin]);
    return out;
  }
  const perToken = (t: tf.Tensor2D) => tf.reshape(tf.gather(t, positions), [B, 1, L, D]); // [B, 1, L, D]
  return { plan, mask: plan.mask, cos: perToken(tables.cos), sin: perToken(tables.sin) };
}

/** Final hidden states after model.norm of the input tokens; ids [B, T] int32 -> [B, T, C]. With a prompt-tuning
 * adapter its virtual rows run first; with a prefix or a filled cache the tokens start at position P. */
export function llamaHidden(config: LlamaConfig, weights: WeightMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  const [B, T] = ids.shape;
  const C = config.hidden_size;
  const ctx = makeCtx(config, weights, opts);
  const s = attentionShape(config, B, T, opts);
  const { L, past, virtual } = s.plan;
  if (past + L > config.max_position_embeddings) throw new Error(`Sequence of ${past + L} positions (${T} tokens after ${past + virtual} adapter or cached ones) is longer than the model's ${config.max_position_embeddings} positions`);
  const tok = withVirtualRows(opts.adapter, s.plan, embeddingLookup(weight(ctx, 'model.embed_tokens.weight'), ids) as tf.Tensor3D); // [B, L, C]
  let x = dropout(ctx, tf.reshape(tok, [B * L, C]) as tf.Tensor2D); // [N, C]
  for (let i = 0; i < config.num_hidden_layers; i++) {
    x = runBlock(ctx, i, `model.layers.${i}.`, x, [s.mask, s.cos, s.sin], (c, xi, [mask, cos, sin]) => block(c, xi, i, { plan: s.plan, mask, cos, sin }));
  }
  if (opts.cache) opts.cache.length = past + L;
  return inputRows(rmsNorm(x, weight(ctx, 'model.norm.weight'), config.rms_norm_eps) as tf.Tensor2D, s.plan);
}

/** The output embedding [V, C]: lm_head, or embed_tokens when tied. */
export function llamaOutputWeight(config: LlamaConfig, weights: WeightMap): tf.Tensor {
  const key = config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const W = weights.get(key);
  if (!W) throw new Error(`Model weight ${key} is missing`);
  return W;
}

/** Logits [B, T, V] for ids [B, T] (int32). */
export function llamaForward(config: LlamaConfig, weights: WeightMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  return tf.tidy(() => lmHead(llamaHidden(config, weights, ids, opts), llamaOutputWeight(config, weights)));
}

/** HF _init_weights: linear and embedding N(0, initializer_range = 0.02), biases 0, norms 1. */
export function initLlamaWeights(config: LlamaConfig, seed: number): WeightMap {
  const rng = mulberry32(seed);
  const std = typeof config.initializer_range === 'number' ? config.initializer_range : 0.02;
  const out: WeightMap = new Map();
  for (const [key, shape] of llamaParamShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (/norm\.weight$/.test(key)) data = new Float32Array(n).fill(1);
    else if (key.endsWith('.bias')) data = new Float32Array(n);
    else data = normalArray(n, std, rng);
    out.set(key, tf.tensor(data, shape, 'float32'));
  }
  return out;
}
