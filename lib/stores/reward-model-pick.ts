// The RL reward-model folder a person picks in the studio: a transformers *ForSequenceClassification folder with
// num_labels 1 (the studio's own reward-model export, or one from the Hub). Checked on the page (files, config.json)
// with errors that name the field, and sized from the safetensors headers (the memory plan counts its weights,
// loaded as f32); the worker loads it (lib/engine/reward-model.ts) and it scores the sampled answers.
import { baseName } from '../hub/local-files';
import { pickFolder, type LocalFolder } from './model-source';

export interface RewardModelPick {
  local: LocalFolder | null;
  error: string | null;
  /** Parameters of every tensor in its weight files (score head included). */
  params: number | null;
}

export const NO_REWARD_MODEL: RewardModelPick = { local: null, error: null, params: null };

const LABEL = 'Reward model folder';

/** Elements of every tensor a safetensors file holds, read from its header alone. */
async function headerElements(file: Blob): Promise<number> {
  const n = Number(new DataView(await file.slice(0, 8).arrayBuffer()).getBigUint64(0, true));
  if (!(n > 0 && n < 100 * 1024 ** 2 && 8 + n <= file.size)) throw new Error('its weights are not a safetensors file');
  const header = JSON.parse(new TextDecoder().decode(await file.slice(8, 8 + n).arrayBuffer())) as Record<string, { shape?: number[] }>;
  return Object.entries(header).reduce((sum, [k, e]) => (k === '__metadata__' ? sum : sum + (e.shape ?? []).reduce((a, b) => a * b, 1)), 0);
}

/** Checks a picked folder is a one-label sequence classifier and sizes it. */
export async function pickRewardModel(files: File[]): Promise<RewardModelPick> {
  const picked = pickFolder(files);
  if (!picked.local) return { ...NO_REWARD_MODEL, error: `${LABEL}: ${picked.error}` };
  const local = picked.local;
  try {
    const byName = new Map(files.map((f) => [baseName(f.webkitRelativePath || f.name), f]));
    const raw = JSON.parse(await byName.get('config.json')!.text()) as Record<string, unknown>;
    const arch = Array.isArray(raw.architectures) ? raw.architectures.map(String) : [];
    if (!arch.some((a) => a.endsWith('ForSequenceClassification'))) {
      throw new Error(`${local.name} is not a reward model: its config.json names ${arch.join(', ') || 'no architecture'}, not a *ForSequenceClassification (train one with the Reward model objective and export it)`);
    }
    const labels = raw.num_labels ?? (raw.id2label && typeof raw.id2label === 'object' ? Object.keys(raw.id2label).length : 2);
    if (labels !== 1) throw new Error(`${local.name} classifies into ${String(labels)} labels; a reward model has num_labels 1`);
    let params = 0;
    for (const [name, f] of byName) if (name.endsWith('.safetensors')) params += await headerElements(f);
    return { local, error: null, params };
  } catch (e) {
    return { ...NO_REWARD_MODEL, error: `${LABEL}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
