// A LoRA adapter as GGUF, as llama.cpp's convert_lora_to_gguf.py writes it: general.type = adapter, adapter.type =
// lora, adapter.lora.alpha, and per adapted weight `<base tensor>.lora_a` ([r, in] in PyTorch order, ggml ne
// [in, r]) and `.lora_b` ([out, r]); llama.cpp adds scale * b(a(x)) with scale = alpha / r.
import type { LoraState } from '../../engine/peft/lora';
import { isGpt2, type HostTensor, type ModelConfig } from '../../engine/types';
import { ggufArch, ggufTensorName, permuteQk, tensorType, type GgufDtype } from './model';
import { GgufWriter } from './writer';

export interface LoraFactors {
  /** module path -> A [r, in], B [out, r] (PEFT's lora_A / lora_B layouts, whatever the base layout). */
  modules: Map<string, { A: HostTensor; B: HostTensor }>;
  r: number;
  /** The scaling our forward pass applies (alpha / r, or alpha / sqrt(r) with rsLoRA). */
  scaling: number;
}

/** A LoRA state's factors on the host (for export). */
export async function loraFactors(state: LoraState): Promise<LoraFactors> {
  const modules = new Map<string, { A: HostTensor; B: HostTensor }>();
  for (const [path, m] of state.modules) {
    const [a, b] = await Promise.all([m.A.data(), m.B.data()]);
    modules.set(path, { A: { shape: [...m.A.shape], data: new Float32Array(a as Float32Array) }, B: { shape: [...m.B.shape], data: new Float32Array(b as Float32Array) } });
  }
  return { modules, r: state.config.r, scaling: state.scaling };
}

/** B's rows follow the base weight's rows: the llama arch's q/k permutation applies to them (A is untouched). */
function layoutB(config: ModelConfig, path: string, B: HostTensor): HostTensor {
  if (isGpt2(config) || ggufArch(config) !== 'llama') return B;
  if (path.endsWith('.q_proj')) return permuteQk(B, config.num_attention_heads);
  if (path.endsWith('.k_proj')) return permuteQk(B, config.num_key_value_heads);
  return B;
}

export function loraGguf(config: ModelConfig, lora: LoraFactors, opts: { name: string; dtype: GgufDtype }): Uint8Array {
  const w = new GgufWriter();
  // As the converter's LoraModel: general.* and the adapter keys only; the hyperparameters come from the base GGUF.
  w.string('general.architecture', ggufArch(config));
  w.string('general.type', 'adapter');
  w.string('general.name', opts.name);
  w.string('adapter.type', 'lora');
  // llama.cpp scales by alpha / r; writing scaling * r keeps rsLoRA's alpha / sqrt(r) exact.
  w.f32('adapter.lora.alpha', lora.scaling * lora.r);
  for (const [path, { A, B }] of lora.modules) {
    const base = ggufTensorName(config, `${path}.weight`);
    const b = layoutB(config, path, B);
    w.tensor(`${base}.lora_a`, A.shape, A.data, tensorType(`${base}.lora_a`, A.shape, opts.dtype));
    w.tensor(`${base}.lora_b`, b.shape, b.data, tensorType(`${base}.lora_b`, b.shape, opts.dtype));
  }
  return w.toBytes();
}
