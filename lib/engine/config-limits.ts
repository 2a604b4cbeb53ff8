// Sanity limits on a config.json's sizes, checked before any weight is read: an absurd field (n_layer 1e9) is
// refused by name, and so is a config whose float32 weights no array or heap could hold.
import { ModelLoadError } from './model-load-error';
import { largestTensorBytes, countParams } from './params';
import { formatBytes } from './memory-plan';
import type { ModelConfig } from './types';

/** The largest value each size field may take: far above every released model, far below what breaks the engine. */
export const SIZE_LIMITS: Record<string, number> = {
  n_layer: 1024, num_hidden_layers: 1024,
  n_embd: 65_536, hidden_size: 65_536,
  n_inner: 262_144, intermediate_size: 262_144,
  n_head: 1024, num_attention_heads: 1024, num_key_value_heads: 1024, head_dim: 4096,
  vocab_size: 4_194_304,
  n_positions: 16_777_216, max_position_embeddings: 16_777_216,
};

/** One float32 array holds at most 4 GiB (Node's and the wasm heap's limit). */
export const MAX_TENSOR_BYTES = 4 * 1024 ** 3;
/** All weights in float32: more than this is no model a browser tab or one machine's CPU trains. */
export const MAX_WEIGHT_BYTES = 256 * 1024 ** 3;

/** Refuses a size field above its limit (raw config.json, before any shape is computed). */
export function checkSizeFields(raw: Record<string, unknown>): void {
  for (const [field, max] of Object.entries(SIZE_LIMITS)) {
    const v = raw[field];
    if (typeof v === 'number' && v > max) {
      throw new ModelLoadError(`config.json: ${field} is ${v}, above the largest this studio accepts (${max.toLocaleString('en-US')}); check the file`);
    }
  }
}

/** Refuses a config whose weights cannot be allocated: one tensor over MAX_TENSOR_BYTES, or all over MAX_WEIGHT_BYTES. */
export function checkAllocatable(c: ModelConfig): void {
  const largest = largestTensorBytes(c);
  if (largest.bytes > MAX_TENSOR_BYTES) {
    throw new ModelLoadError(`config.json: its sizes make ${largest.key} ${formatBytes(largest.bytes)} in float32, more than one array can hold (${formatBytes(MAX_TENSOR_BYTES)}); check the size fields`);
  }
  const total = countParams(c) * 4;
  if (total > MAX_WEIGHT_BYTES) {
    throw new ModelLoadError(`config.json: its sizes make ${formatBytes(total)} of float32 weights, more than can be allocated (${formatBytes(MAX_WEIGHT_BYTES)}); check n_layer and the hidden sizes`);
  }
}
