// What one forward pass carries through any architecture (weights, the adapter, dropout in effect, seeds that give
// every dropout site its own mask, a KV cache), and the small pieces gpt2.ts and llama.ts share: weight lookup,
// dropout, the linear and block-output hooks, and runBlock, which runs a transformer block plainly or checkpointed.
import * as tf from '@tensorflow/tfjs';
import { checkpointed } from './checkpoint';
import { packedMatMul } from './kernels/packed-matmul-webgpu';
import type { PackedWeight } from './packed-weights';
import type { Adapter } from './peft/types';
import { deriveSeed } from './random';
import type { Segments } from './segments';
import type { KvCache } from './sequence';
import type { WeightMap } from './types';

export interface ForwardOptions {
  adapter?: Adapter; // the active PEFT method's forward change (e.g. a LoraState); absent = the base model
  dropout?: number; // residual, embedding and attention dropout while training (GPT-2 pretrained with 0.1); 0 by default
  seed?: number; // fixes every dropout mask of this call
  training?: boolean; // dropout (model and LoRA) only applies when true
  // Packed rows: segment id per token (Int32Array [B*T] or [B, T]; -1 = padding). Attention stays inside each
  // segment and positions restart at 0 per segment. Absent: plain causal attention over positions 0..T-1.
  segments?: Segments;
  // Gradient checkpointing: each block keeps only its input and is recomputed in the backward pass (less memory,
  // about one more forward pass of time). Only matters under a gradient tape.
  checkpointing?: boolean;
  // Frozen linear weights stored packed (f16 or int8), keyed by module path ('h.0.attn.c_attn'): these layers read
  // them instead of the float32 weight in the map (packLinears in packed-weights.ts). Adapter methods only.
  packed?: Map<string, PackedWeight>;
  // Generation: keys and values of earlier calls (sequence.ts). An empty cache is filled by this pass (with the
  // adapter's prefix and virtual rows first); a filled one is the past of this pass, whose tokens take positions
  // cache.length.. and are appended. Inference only (not with segments or checkpointing).
  cache?: KvCache;
}

/** What one forward pass needs. `site` numbers the dropout sites within one block (or outside all blocks), and
 * each block derives its own seed from (seed, layer), so a recomputed block draws exactly the same masks. */
export interface Ctx<C> {
  c: C;
  w: WeightMap;
  adapter?: Adapter;
  p: number; // model dropout in effect
  training: boolean; // adapters apply their own dropout only when true
  seed: number;
  site: number;
  checkpoint: boolean;
  packed?: Map<string, PackedWeight>;
  cache?: KvCache;
}

export function makeCtx<C>(c: C, w: WeightMap, opts: ForwardOptions): Ctx<C> {
  const training = opts.training ?? false;
  if (opts.cache && opts.checkpointing) throw new Error('A KV cache is for inference: it cannot be used with gradient checkpointing');
  return {
    cache: opts.cache,
    c, w, adapter: opts.adapter, seed: opts.seed ?? 0, site: 0, checkpoint: opts.checkpointing ?? false, packed: opts.packed,
    p: training ? (opts.dropout ?? 0) : 0,
    training,
  };
}

export function weight<C>(ctx: Ctx<C>, key: string): tf.Tensor {
  const t = ctx.w.get(key);
  if (!t) throw new Error(`Model weight ${key} is missing`);
  return t;
}

export function nextSeed<C>(ctx: Ctx<C>): number {
  return deriveSeed(ctx.seed, ctx.site++);
}

export function dropout<C, T extends tf.Tensor>(ctx: Ctx<C>, x: T): T {
  return ctx.p > 0 ? (tf.dropout(x, ctx.p, undefined, nextSeed(ctx)) as T) : x;
}

/** The attention probabilities' dropout for sdpa (attention.ts): the next site's seed, or none when dropout is off. */
export function attentionDropout<C>(ctx: Ctx<C>): { dropout?: { p: number; seed: number } } {
  return ctx.p > 0 ? { dropout: { p: ctx.p, seed: nextSeed(ctx) } } : {};
}

/** Block i's context: its own dropout seed (from the pass seed and the layer) and site counter. */
function layerCtx<C>(ctx: Ctx<C>, layer: number): Ctx<C> {
  return { ...ctx, seed: deriveSeed(ctx.seed, 0xb10c, layer), site: 0 };
}

/** The trainable variables block `prefix` reads: the adapter's in its modules, and its own weights when they are
 * variables (full fine-tuning). */
export function layerVariables<C>(ctx: Ctx<C>, prefix: string): tf.Variable[] {
  const out: tf.Variable[] = [...(ctx.adapter?.variablesUnder(prefix) ?? [])];
  for (const [key, t] of ctx.w) if (key.startsWith(prefix) && t instanceof tf.Variable && t.trainable) out.push(t);
  return out;
}

/**
 * Runs block `layer` (weights under `prefix`, e.g. 'h.3.') on x [N, C]; `extras` are the constant tensors it reads
 * (masks, rotary tables). With checkpointing the block's intermediates are not kept for the backward pass.
 */
export function runBlock<C>(ctx: Ctx<C>, layer: number, prefix: string, x: tf.Tensor2D, extras: tf.Tensor[],
  block: (ctx: Ctx<C>, x: tf.Tensor2D, extras: tf.Tensor[]) => tf.Tensor2D): tf.Tensor2D {
  const run = (input: tf.Tensor2D, ex: tf.Tensor[]) => block(layerCtx(ctx, layer), input, ex);
  return ctx.checkpoint ? checkpointed(run, x, extras, layerVariables(ctx, prefix)) : run(x, extras);
}

/** A linear layer's base product x W without bias: the packed weight when the module has one, else the float32
 * weight (`transposeB`: stored [out, in], as nn.Linear). x [N, in] -> [N, out]. */
export function baseLinear<C>(ctx: Ctx<C>, x: tf.Tensor2D, path: string, transposeB: boolean): tf.Tensor2D {
  const p = ctx.packed?.get(path);
  return p ? packedMatMul(x, p) : tf.matMul(x, weight(ctx, path + '.weight') as tf.Tensor2D, false, transposeB);
}

/** The linear hook both families call: module `path`'s output y = base(x) as the active adapter changes it
 * (y itself without one); x [N, in], y [N, out]. */
export function linearHook<C>(ctx: Ctx<C>, x: tf.Tensor2D, y: tf.Tensor2D, path: string): tf.Tensor2D {
  if (!ctx.adapter) return y;
  return ctx.adapter.linear(path, x, y, { training: ctx.training, nextSeed: () => nextSeed(ctx) });
}

/** The block-output hook: sublayer `sublayer` of block `layer` gives h [N, C]; the adapter may change it
 * (bottleneck adapters), else h itself. */
export function blockOutputHook<C>(ctx: Ctx<C>, layer: number, sublayer: 'attn' | 'mlp', h: tf.Tensor2D): tf.Tensor2D {
  if (!ctx.adapter?.blockOutput) return h;
  return ctx.adapter.blockOutput(layer, sublayer, h, { training: ctx.training, nextSeed: () => nextSeed(ctx) });
}

export { causalMask } from './sequence';

/** logits = h @ W^T for an output embedding W [V, C]; h [B, T, C] -> [B, T, V]. */
export function lmHead(h: tf.Tensor3D, W: tf.Tensor): tf.Tensor3D {
  const [B, T, C] = h.shape;
  const logits = tf.matMul(tf.reshape(h, [B * T, C]) as tf.Tensor2D, W as tf.Tensor2D, false, true); // [N, V]
  return tf.reshape(logits, [B, T, W.shape[0]]);
}
