// `train --method grpo|rloo|ppo` and its flags: the RL objective's settings (TRL's names), checked by its
// schema, and where the reward comes from (--reward-model <dir> or one or more --reward specs).
import { defaultRlConfig, isRlMethod, RL_ALGORITHMS, RL_HELP, rlConfigSchema, type RlConfig } from '../engine/rl/config';
import type { Method } from '../engine/types';

type Values = Record<string, string | boolean | string[] | undefined>;

export const RL_USAGE = `      RL: --method ${RL_ALGORITHMS.join('|')} --data <prompts> (--reward-model <dir> | --reward <spec> [--reward <spec> ...])
      [--base-method ... (default lora)] [--adapter <sft adapter> (continues it as the policy)] [--num-generations K] [--beta B]
      [--max-new-tokens N] [--temperature T] [--epsilon E] [--loss-type grpo|dapo (grpo)] [--sample-every N]
      [--gamma G] [--lam L] [--vf-coef C] [--cliprange-value V] [--whiten-rewards] [--num-ppo-epochs E] [--num-mini-batches M] (ppo). Prompts: JSONL/JSON records with a
      string "prompt" or chat "messages" (optional reference "answer"). --reward specs: regex:<pattern>, exact (the record's
      "answer", whitespace normalised), length:<target tokens>[:<penalty per token>], each optionally <weight>*<spec>.
${Object.entries(RL_HELP).map(([m, h]) => `        ${m}: ${h}`).join('\n')}`;

export function rlOptions() {
  return {
    'reward-model': { type: 'string' }, reward: { type: 'string', multiple: true }, 'num-generations': { type: 'string' },
    'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, epsilon: { type: 'string' }, 'sample-every': { type: 'string' },
    gamma: { type: 'string' }, lam: { type: 'string' }, 'vf-coef': { type: 'string' }, 'cliprange-value': { type: 'string' },
    'whiten-rewards': { type: 'boolean' }, 'num-ppo-epochs': { type: 'string' }, 'num-mini-batches': { type: 'string' },
  } as const;
}

const NUMBERS = {
  'num-generations': 'numGenerations', beta: 'beta', 'max-new-tokens': 'maxNewTokens', temperature: 'temperature', epsilon: 'epsilon',
  'sample-every': 'sampleEvery', gamma: 'gamma', lam: 'lam', 'vf-coef': 'vfCoef', 'cliprange-value': 'clipRangeValue',
  'num-ppo-epochs': 'numPpoEpochs', 'num-mini-batches': 'numMiniBatches',
} as const;
const RL_ONLY = [...Object.keys(rlOptions())];
const PPO_ONLY = ['gamma', 'lam', 'vf-coef', 'cliprange-value', 'whiten-rewards', 'num-ppo-epochs', 'num-mini-batches'];

/** True when an RL method or an RL-only flag is given (then parseRl decides). */
export function wantsRl(values: Values): boolean {
  return isRlMethod(String(values.method ?? '')) || RL_ONLY.some((f) => values[f] !== undefined);
}

/** The RL objective and the method it trains; clear errors for flags that do not apply. */
export function parseRl(values: Values, base: () => Method): { method: Method; objective: RlConfig } {
  const name = String(values.method ?? '');
  if (!isRlMethod(name)) {
    const flag = RL_ONLY.find((f) => values[f] !== undefined);
    throw new Error(`--${flag} applies to RL (--method ${RL_ALGORITHMS.join('|')}), not --method ${name || 'lora'}`);
  }
  const stray = [...(name === 'ppo' ? [] : PPO_ONLY), 'label-smoothing', 'simpo-gamma', 'desirable-weight', 'undesirable-weight', 'precompute-ref'].find((f) => values[f] !== undefined);
  if (stray) throw new Error(`--${stray} does not apply to --method ${name}`);
  const reward = values.reward as string[] | undefined;
  if (!values['reward-model'] === !reward?.length) throw new Error(`--method ${name} needs a reward: --reward-model <dir> or --reward <spec>, not ${values['reward-model'] ? 'both' : 'neither'}`);
  const c: Record<string, unknown> = { ...defaultRlConfig(name), ...(values['whiten-rewards'] ? { whitenRewards: true } : {}), ...(reward?.length ? { reward } : {}) };
  if (values['loss-type'] !== undefined) {
    if (name !== 'grpo' || !['grpo', 'dapo'].includes(String(values['loss-type']))) throw new Error(`--loss-type for RL is GRPO's normalisation: grpo or dapo (with --method grpo)`);
    c.lossType = values['loss-type'];
  }
  for (const [flag, key] of Object.entries(NUMBERS)) {
    const v = values[flag];
    if (v === undefined) continue;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`--${flag} must be a number, got "${String(v)}"`);
    c[key] = x;
  }
  const checked = rlConfigSchema.safeParse(c);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = Object.entries(NUMBERS).find(([, k]) => k === issue.path[0])?.[0] ?? String(issue.path[0]);
    throw new Error(`--${flag}: ${issue.message}`);
  }
  if (name !== 'ppo' && checked.data.numGenerations < 2) throw new Error(`--num-generations must be at least 2 for ${name} (each answer is judged against its group)`);
  return { method: base(), objective: checked.data };
}
