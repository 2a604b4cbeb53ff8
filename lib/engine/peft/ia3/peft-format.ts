// IA3 adapters in PEFT's files: adapter_config.json with IA3Config's fields and one `<module>.ia3_l` per adapted
// linear, shaped as PEFT's parameter: [out, 1] on target modules, [1, in] on feed-forward ones.
import * as tf from '@tensorflow/tfjs';
import { linearModules, matchesTarget } from '../../params';
import type { HostTensor, ModelConfig, WeightMap } from '../../types';
import { hostVariable, readHost } from '../host';
import type { PeftFiles } from '../types';
import { ia3Spec, type Ia3Config } from './config';
import { makeIa3State, type Ia3Module, type Ia3State } from './layer';

const IA3_KEY = /^base_model\.model\.(?:transformer\.)?(.+)\.ia3_l(?:\.default)?$/;

export async function ia3ToPeft(state: Ia3State, opts: { baseModel: string }): Promise<PeftFiles> {
  const c = state.config;
  const config = {
    peft_type: 'IA3', task_type: 'CAUSAL_LM', base_model_name_or_path: opts.baseModel, revision: null, inference_mode: true,
    auto_mapping: null, target_modules: [...c.targetModules], exclude_modules: null, feedforward_modules: [...c.feedforwardModules],
    fan_in_fan_out: state.fanInFanOut, modules_to_save: null, init_ia3_weights: true,
  };
  const snaps = [...state.modules].map(([path, m]) => [`base_model.model.${state.peftPrefix}${path}.ia3_l`, m, tf.clone(m.l)] as const);
  const tensors: Record<string, HostTensor> = {};
  for (const [key, m, snap] of snaps) {
    const t = await readHost(snap);
    tensors[key] = { data: t.data, shape: m.feedforward ? [1, t.data.length] : [t.data.length, 1] };
  }
  return { config, tensors };
}

const names = (raw: unknown): string[] => (Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : []);

/** Reads a PEFT IA3 adapter; each vector's shape and kind (input or output scaling) is checked against the model. */
export function ia3FromPeft(raw: Record<string, unknown>, tensors: Record<string, HostTensor>, model: ModelConfig, base: WeightMap): Ia3State {
  if (raw.peft_type !== 'IA3') throw new Error(`Adapter peft_type "${String(raw.peft_type)}" is not IA3`);
  // fan_in_fan_out needs no check: PEFT sets it from the layer type (Conv1D or nn.Linear) whatever the file says.
  const feedforwardModules = names(raw.feedforward_modules);
  const config: Ia3Config = ia3Spec.schema.parse({ targetModules: names(raw.target_modules), feedforwardModules: feedforwardModules.length ? feedforwardModules : undefined });
  const lins = linearModules(model);
  const checked: [string, HostTensor, boolean][] = [];
  for (const [key, t] of Object.entries(tensors)) {
    const m = IA3_KEY.exec(key);
    if (!m) throw new Error(`Unexpected tensor in IA3 adapter: ${key}`);
    const lin = lins.get(m[1]);
    if (!lin) throw new Error(`IA3 adapter module ${m[1]} is not in this model`);
    const feedforward = matchesTarget(m[1], feedforwardModules);
    const want = feedforward ? [1, lin.fanIn] : [lin.fanOut, 1];
    if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1]) {
      throw new Error(`${key} is ${JSON.stringify(t.shape)} but this model's ${feedforward ? 'feed-forward (input-scaled)' : 'output-scaled'} ${m[1]} needs ${JSON.stringify(want)}`);
    }
    checked.push([m[1], t, feedforward]);
  }
  if (checked.length === 0) throw new Error('The adapter holds no ia3_l tensors');
  const modules = new Map<string, Ia3Module>();
  for (const [path, t, feedforward] of checked) modules.set(path, { feedforward, l: hostVariable(t.data, [t.data.length]) });
  return makeIa3State(config, modules, model, base);
}
