// DoRA adapters in PEFT's files: a LoRA adapter (lora_A / lora_B keys, LoraConfig fields) with use_dora: true and
// one `<module>.lora_magnitude_vector` [out] per adapted module (PEFT saves DoraLinearLayer.weight under that name).
import * as tf from '@tensorflow/tfjs';
import { linearModules } from '../../params';
import type { HostTensor, ModelConfig, WeightMap } from '../../types';
import { hostVariable, readHost } from '../host';
import { loraFromPeft, loraToPeft } from '../lora/peft-format';
import { makeLoraState } from '../lora/layer';
import type { PeftFiles } from '../types';
import { makeDoraState, type DoraModule, type DoraState } from './layer';

const MAGNITUDE_KEY = /^base_model\.model\.(?:transformer\.)?(.+)\.lora_magnitude_vector(?:\.default)?(?:\.weight)?$/;

export async function doraToPeft(state: DoraState, opts: { baseModel: string }): Promise<PeftFiles> {
  const view = makeLoraState(state.config, state.modules, state); // A and B as LoRA writes them
  const { config, tensors } = await loraToPeft(view, opts);
  const snaps = [...state.modules].map(([path, mod]) => [`base_model.model.${state.peftPrefix}${path}.lora_magnitude_vector`, tf.clone(mod.m)] as const);
  for (const [key, snap] of snaps) tensors[key] = await readHost(snap);
  return { config: { ...config, use_dora: true }, tensors };
}

/** Reads a PEFT LoRA adapter with use_dora: true, every module's magnitude checked against the model. */
export function doraFromPeft(raw: Record<string, unknown>, tensors: Record<string, HostTensor>, model: ModelConfig, base: WeightMap): DoraState {
  if (raw.use_dora !== true) throw new Error('This LoRA adapter has use_dora false: load it as LoRA');
  const magnitudes = new Map<string, HostTensor>();
  const factors: Record<string, HostTensor> = {};
  for (const [key, t] of Object.entries(tensors)) {
    const m = MAGNITUDE_KEY.exec(key);
    if (m) magnitudes.set(m[1], t);
    else factors[key] = t;
  }
  const lins = linearModules(model);
  for (const [path, t] of magnitudes) {
    const lin = lins.get(path);
    if (!lin) throw new Error(`DoRA magnitude ${path}.lora_magnitude_vector is for a module this model does not have`);
    if (t.shape.length !== 1 || t.shape[0] !== lin.fanOut) throw new Error(`${path}.lora_magnitude_vector is ${JSON.stringify(t.shape)} but the layer has ${lin.fanOut} outputs`);
  }
  const lora = loraFromPeft({ ...raw, use_dora: false }, factors, model); // checks A and B, creates their variables
  const missing = [...lora.modules.keys()].filter((p) => !magnitudes.has(p));
  const orphan = [...magnitudes.keys()].filter((p) => !lora.modules.has(p));
  if (missing.length > 0 || orphan.length > 0) {
    for (const m of lora.modules.values()) tf.dispose([m.A, m.B]);
    throw new Error(missing.length > 0 ? `DoRA adapter has no lora_magnitude_vector for ${missing.join(', ')}` : `DoRA adapter has a magnitude but no lora_A/lora_B for ${orphan.join(', ')}`);
  }
  const modules = new Map<string, DoraModule>();
  for (const [path, mod] of lora.modules) {
    const t = magnitudes.get(path)!;
    modules.set(path, { ...mod, m: hostVariable(t.data, t.shape) });
  }
  return makeDoraState(lora.config, modules, model, base);
}
