// What resuming a run needs, as two files beside the export: train-state.json (step, tokens, where the samplers
// stand, the optimizer's step count, the config, a fingerprint of the training rows, the early-stopping counters)
// and train-state.safetensors (the trainable variables, both AdamW moments and the kept best weights). Dropout
// seeds and the learning rate follow from (seed, step) and the config, so they need no state of their own.
import * as tf from '@tensorflow/tfjs';
import type { SamplerState } from './batch';
import type { KeeperState } from './early-stop';
import { readHost } from './peft/host';
import { readSafetensors, toFloat32, writeSafetensors } from './safetensors';
import type { Example, HostTensor, TrainConfig } from './types';

export const TRAIN_STATE_JSON = 'train-state.json';
export const TRAIN_STATE_TENSORS = 'train-state.safetensors';
const FORMAT = 'webtune-train-state';

export interface TrainStateMeta {
  format: typeof FORMAT;
  version: 1;
  step: number; // optimizer steps done
  tokens: number;
  adamSteps: number;
  sampler: SamplerState;
  replaySampler: SamplerState | null;
  keeper: KeeperState;
  config: TrainConfig;
  data: string; // fingerprintExamples of the rows the sampler draws from
  variables: number[][]; // shapes of the trainable variables, in the method's order
}

export interface TrainState {
  meta: TrainStateMeta;
  params: HostTensor[];
  m: HostTensor[];
  v: HostTensor[];
  best: HostTensor[] | null;
}

/** FNV-1a (32 bit) over every row's ids, mask and segments, with the row count: equal data gives equal prints.
 * Rows of other objectives (preference pairs, KTO answers) are printed from their JSON. */
export function fingerprintExamples(rows: readonly object[]): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const row of rows) {
    if (!('ids' in row && 'mask' in row)) {
      const text = JSON.stringify(row);
      mix(text.length);
      for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
      continue;
    }
    const r = row as Example;
    mix(r.ids.length);
    for (let t = 0; t < r.ids.length; t++) {
      mix(r.ids[t]);
      mix(r.mask[t] ? 1 : 0);
      if (r.segments) mix(r.segments[t] + 1);
    }
  }
  return `${rows.length}-${h.toString(16).padStart(8, '0')}`;
}

/** The live pieces of a trainer a state is taken from (tensors snapshotted by the caller synchronously). */
export interface StateSnapshot {
  meta: Omit<TrainStateMeta, 'format' | 'version' | 'variables'>;
  params: tf.Tensor[];
  m: tf.Tensor[];
  v: tf.Tensor[];
  best: HostTensor[] | null;
}

/** Reads the snapshots (freeing them) into a TrainState. */
export async function readSnapshot(s: StateSnapshot): Promise<TrainState> {
  const read = (ts: tf.Tensor[]) => Promise.all(ts.map(readHost));
  const params = await read(s.params);
  return {
    meta: { format: FORMAT, version: 1, ...s.meta, variables: params.map((p) => p.shape) },
    params, m: await read(s.m), v: await read(s.v), best: s.best,
  };
}

/** The two files of a state. Infinity (no validation pass yet) is written as null. */
export function trainStateFiles(s: TrainState): Record<string, Uint8Array> {
  const tensors: Record<string, HostTensor> = {};
  const put = (prefix: string, ts: HostTensor[] | null) => ts?.forEach((t, i) => (tensors[`${prefix}.${i}`] = t));
  put('param', s.params);
  put('adam_m', s.m);
  put('adam_v', s.v);
  put('best', s.best);
  const meta = { ...s.meta, keeper: { ...s.meta.keeper, bestLoss: Number.isFinite(s.meta.keeper.bestLoss) ? s.meta.keeper.bestLoss : null } };
  return {
    [TRAIN_STATE_JSON]: new TextEncoder().encode(JSON.stringify(meta, null, 2)),
    [TRAIN_STATE_TENSORS]: writeSafetensors(tensors, { metadata: { format: FORMAT } }),
  };
}

/** Parses the two files; `where` names the folder in errors. */
export function parseTrainState(json: Uint8Array | null, tensors: Uint8Array | null, where: string): TrainState {
  if (!json || !tensors) throw new Error(`${where} has no ${!json ? TRAIN_STATE_JSON : TRAIN_STATE_TENSORS}: resume needs the --out folder of a run trained by this version`);
  const meta = JSON.parse(new TextDecoder().decode(json)) as TrainStateMeta;
  if (meta.format !== FORMAT || meta.version !== 1) throw new Error(`${where}/${TRAIN_STATE_JSON} is not a train state this version reads (format ${meta.format}, version ${meta.version})`);
  meta.keeper.bestLoss ??= Infinity;
  const file = readSafetensors(tensors);
  const list = (prefix: string, required: boolean): HostTensor[] | null => {
    const out: HostTensor[] = [];
    for (let i = 0; i < meta.variables.length; i++) {
      const e = file.tensors.get(`${prefix}.${i}`);
      if (!e) {
        if (!required && i === 0) return null;
        throw new Error(`${where}/${TRAIN_STATE_TENSORS} lacks ${prefix}.${i}: the file is damaged or from another run`);
      }
      out.push({ shape: e.shape, data: toFloat32(e) });
    }
    return out;
  };
  return { meta, params: list('param', true)!, m: list('adam_m', true)!, v: list('adam_v', true)!, best: list('best', false) };
}

/** Settings a resumed run may change; every other setting must equal the saved run's, or the result would not
 * be the uninterrupted run's. */
const MAY_DIFFER = new Set<keyof TrainConfig>(['steps', 'evalEvery', 'checkpointEvery', 'checkpointing', 'earlyStop']);

/** Refuses a state that does not belong to this run: other settings, other data, other variables. */
export function checkResumable(s: TrainState, cfg: TrainConfig, data: string, shapes: number[][]): void {
  const saved = s.meta.config as unknown as Record<string, unknown>;
  const now = cfg as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])].filter((k) => !MAY_DIFFER.has(k as keyof TrainConfig));
  const differ = keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
  if (differ.length) {
    throw new Error(`Cannot resume: ${differ.map((k) => `${k} was ${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])}`).join('; ')}. Resume with the saved run's settings.`);
  }
  if (s.meta.data !== data) throw new Error(`Cannot resume: the training data differ from the saved run's (fingerprint ${s.meta.data}, now ${data}). Use the same data file and split.`);
  if (JSON.stringify(s.meta.variables) !== JSON.stringify(shapes)) throw new Error('Cannot resume: the saved weights do not fit this model and method (different shapes)');
  if (s.meta.step >= cfg.steps) throw new Error(`Cannot resume: the saved run already did ${s.meta.step} steps; ask for more (--steps > ${s.meta.step})`);
}
