// Bottleneck adapters (Houlsby et al. 2019) through Adapter.blockOutput: each sublayer output h becomes
// h + up(swish(down(h))) before the block's residual sum, after attention and after the MLP; up starts at zero so
// training starts from the base model. PEFT has no such type: the files follow the `adapters` library's names
// (see README, "Bottleneck adapter files"): adapter_config.json with peft_type "BOTTLENECK" and tensors
// <root><block>.{attention,output}_adapters.adapters.default.adapter_{down.0,up}.{weight,bias}.
import * as tf from '@tensorflow/tfjs';
import { mulberry32, uniformArray } from '../../random';
import type { HostTensor, ModelConfig, WeightMap } from '../../types';
import { hostVariable, readHost } from '../host';
import type { PeftMethod } from '../method';
import { configInt, expectField, modelDims } from '../shapes';
import { unchangedLinear, type PeftFiles, type TrainableState } from '../types';
import { BOTTLENECK_SITES, bottleneckSpec, type BottleneckConfig } from './config';

export { bottleneckSpec } from './config';

export const ADAPTER_NAME = 'default';

/** One adapter, nn.Linear layouts: down [a, C] with bias [a], up [C, a] with bias [C]. */
interface Bottleneck {
  down: tf.Variable;
  downBias: tf.Variable;
  up: tf.Variable;
  upBias: tf.Variable;
}

/** Tensor names of one adapter: the module path (e.g. 'transformer.h.0.attention_adapters.adapters.default'). */
function tensorNames(module: string): Record<keyof Bottleneck, string> {
  return { down: `${module}.adapter_down.0.weight`, downBias: `${module}.adapter_down.0.bias`, up: `${module}.adapter_up.weight`, upBias: `${module}.adapter_up.bias` };
}

/** Every adapter of the model: key `${layer}.${sublayer}`, with its block prefix and its file module path. */
function sites(model: ModelConfig): { key: string; block: string; module: string }[] {
  const d = modelDims(model);
  return Array.from({ length: d.layers }, (_, i) => BOTTLENECK_SITES.map(([sub, name]) => ({
    key: `${i}.${sub}`, block: `${d.blockPrefix}${i}.`, module: `${d.peftRoot}${d.blockPrefix}${i}.${name}.adapters.${ADAPTER_NAME}`,
  }))).flat();
}

const swish = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));

function trainable(config: BottleneckConfig, adapters: Map<string, Bottleneck>, model: ModelConfig, weights: WeightMap): TrainableState {
  const all = sites(model);
  const d = modelDims(model);
  const vars = [...adapters.values()].flatMap((a) => [a.down, a.downBias, a.up, a.upBias]);
  const blockOutput = (layer: number, sublayer: 'attn' | 'mlp', h: tf.Tensor2D): tf.Tensor2D => {
    const a = adapters.get(`${layer}.${sublayer}`);
    if (!a) return h;
    const mid = swish(tf.add(tf.matMul(h, a.down, false, true), a.downBias)); // [N, a]
    return tf.add(h, tf.add(tf.matMul(mid as tf.Tensor2D, a.up, false, true), a.upBias)) as tf.Tensor2D; // [N, C]
  };
  return {
    variables: vars,
    weights,
    adapter: {
      linear: unchangedLinear,
      variablesUnder: (prefix) => all.filter((s) => s.block.startsWith(prefix)).flatMap((s) => {
        const a = adapters.get(s.key)!;
        return [a.down, a.downBias, a.up, a.upBias];
      }),
      blockOutput,
    },
    save: async (baseModel): Promise<PeftFiles> => {
      const tensors: Record<string, HostTensor> = {};
      for (const s of all) {
        const a = adapters.get(s.key)!;
        const names = tensorNames(s.module);
        for (const k of ['down', 'downBias', 'up', 'upBias'] as const) tensors[names[k]] = await readHost(tf.clone(a[k]));
      }
      return {
        config: {
          peft_type: 'BOTTLENECK', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, inference_mode: true,
          architecture: 'bottleneck', name: ADAPTER_NAME, adapter_size: config.adapterSize, hidden_size: d.hidden, num_layers: d.layers,
          reduction_factor: d.hidden / config.adapterSize, non_linearity: 'swish', mh_adapter: true, output_adapter: true,
          residual_before_ln: true, original_ln_before: false, original_ln_after: false, ln_before: false, ln_after: false, scaling: 1.0,
        },
        tensors,
      };
    },
    dispose: () => vars.forEach((v) => v.dispose()),
  };
}

export const bottleneck: PeftMethod<'adapter'> = {
  ...bottleneckSpec,
  peftTypes: ['BOTTLENECK'],
  // down (and its bias) as nn.Linear's U(+-1/sqrt(C)); up and its bias zero: the adapter starts as the identity.
  create: (model, weights, train, seed) => {
    const c = bottleneckSpec.configOf(train);
    const { hidden: C } = modelDims(model);
    const a = c.adapterSize;
    const rng = mulberry32(seed);
    const adapters = new Map<string, Bottleneck>();
    for (const s of sites(model)) {
      adapters.set(s.key, {
        down: hostVariable(uniformArray(a * C, 1 / Math.sqrt(C), rng), [a, C]), downBias: hostVariable(uniformArray(a, 1 / Math.sqrt(C), rng), [a]),
        up: hostVariable(new Float32Array(C * a), [C, a]), upBias: hostVariable(new Float32Array(C), [C]),
      });
    }
    return trainable(c, adapters, model, weights);
  },
  load: (files, model, weights) => {
    const raw = files.config;
    if (raw.peft_type !== 'BOTTLENECK') throw new Error(`Adapter peft_type "${String(raw.peft_type)}" is not BOTTLENECK`);
    if (raw.non_linearity !== undefined && raw.non_linearity !== 'swish') throw new Error(`adapter_config.json: non_linearity "${String(raw.non_linearity)}" is not supported (swish is)`);
    const a = configInt(raw, 'adapter_size');
    const { hidden: C, layers } = modelDims(model);
    expectField(raw, 'hidden_size', C, 'hidden size');
    expectField(raw, 'num_layers', layers, 'number of layers');
    const all = sites(model);
    const expected = new Set(all.flatMap((s) => Object.values(tensorNames(s.module))));
    const extra = Object.keys(files.tensors).find((k) => !expected.has(k));
    if (extra) throw new Error(`Unexpected tensor in bottleneck adapter: ${extra}`);
    const shapes: Record<keyof Bottleneck, number[]> = { down: [a, C], downBias: [a], up: [C, a], upBias: [C] };
    const checked = all.map((s) => {
      const names = tensorNames(s.module);
      const ts = Object.fromEntries((Object.keys(shapes) as (keyof Bottleneck)[]).map((k) => {
        const t = files.tensors[names[k]];
        if (!t) throw new Error(`adapter_model.safetensors has no ${names[k]}`);
        if (t.shape.join() !== shapes[k].join()) throw new Error(`${names[k]} is [${t.shape}], adapter_size ${a} and hidden size ${C} need [${shapes[k]}]`);
        return [k, t];
      })) as Record<keyof Bottleneck, HostTensor>;
      return [s.key, ts] as const;
    });
    const adapters = new Map<string, Bottleneck>();
    for (const [key, ts] of checked) {
      adapters.set(key, { down: hostVariable(ts.down.data, ts.down.shape), downBias: hostVariable(ts.downBias.data, ts.downBias.shape), up: hostVariable(ts.up.data, ts.up.shape), upBias: hostVariable(ts.upBias.data, ts.upBias.shape) });
    }
    return trainable({ adapterSize: a }, adapters, model, weights);
  },
};
