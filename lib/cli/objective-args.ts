// `train --method dpo|ipo|simpo|orpo|kto` and the preference flags: which objective a run optimises and which
// PEFT method (--base-method, LoRA by default) or full fine-tuning it trains with. A PEFT method name alone
// keeps causal LM training.
import {
  defaultPreferenceConfig, isPreferenceMethod, PREFERENCE_HELP, PREFERENCE_METHODS, preferenceConfigSchema, REWARD_HELP,
  type ObjectiveConfig, type PreferenceConfig,
} from '../engine/objectives/config';
import { METHOD_IDS } from '../engine/peft/registry';
import type { Method } from '../engine/types';
import { checkMethod } from './method-args';
import { flagNumber } from './flags';
import { parseRl, wantsRl } from './rl-args';

type Values = Record<string, string | boolean | string[] | undefined>;

export const OBJECTIVE_USAGE = `      preference optimisation: --method ${Object.keys(PREFERENCE_METHODS).join('|')} [--base-method ${METHOD_IDS.join('|')} (default lora)]
      [--beta B] [--loss-type sigmoid|hinge|ipo (dpo)] [--label-smoothing E] [--simpo-gamma G] [--desirable-weight W]
      [--undesirable-weight W] [--precompute-ref]; ORPO's lambda is --beta (TRL's name). Data: preference pairs (KTO
      also reads records with a "label" or "kto_tag" of true/false).
${Object.entries(PREFERENCE_HELP).map(([m, h]) => `        ${m}: ${h}`).join('\n')}
      reward model: --method reward [--base-method ...] (pairs): ${REWARD_HELP}`;

export function objectiveOptions() {
  return {
    'base-method': { type: 'string' }, beta: { type: 'string' }, 'loss-type': { type: 'string' }, 'label-smoothing': { type: 'string' },
    'simpo-gamma': { type: 'string' }, 'desirable-weight': { type: 'string' }, 'undesirable-weight': { type: 'string' },
    'precompute-ref': { type: 'boolean' },
  } as const;
}

const FLAGS = { beta: 'beta', 'label-smoothing': 'labelSmoothing', 'simpo-gamma': 'simpoGamma', 'desirable-weight': 'desirableWeight', 'undesirable-weight': 'undesirableWeight' } as const;

/** The PEFT method to train and, for a preference method, its objective; flags checked by the objective's schema. */
export function parseObjective(values: Values): { method: Method; objective?: ObjectiveConfig } {
  const name = String(values.method ?? 'lora');
  const base = () => checkMethod(values['base-method'] === undefined ? 'lora' : String(values['base-method']));
  if (wantsRl(values)) return parseRl(values, base);
  if (name === 'reward') {
    const stray = ['loss-type', ...Object.keys(FLAGS), 'precompute-ref'].find((f) => values[f] !== undefined);
    if (stray) throw new Error(`--${stray} applies to preference optimisation, not --method reward`);
    return { method: base(), objective: { kind: 'reward' } };
  }
  if (!isPreferenceMethod(name)) {
    const stray = ['base-method', 'loss-type', ...Object.keys(FLAGS), 'precompute-ref'].find((f) => values[f] !== undefined);
    if (stray) throw new Error(`--${stray} applies to preference optimisation (--method ${Object.keys(PREFERENCE_METHODS).join('|')}), not --method ${name}`);
    return { method: checkMethod(name) };
  }
  let lossType: PreferenceConfig['lossType'] = PREFERENCE_METHODS[name];
  if (values['loss-type'] !== undefined) {
    const t = String(values['loss-type']);
    if (name !== 'dpo') throw new Error(`--loss-type chooses among DPO's losses; --method ${name} is ${lossType}`);
    if (!['sigmoid', 'hinge', 'ipo'].includes(t)) throw new Error(`--loss-type must be sigmoid, hinge or ipo, got "${t}"`);
    lossType = t as PreferenceConfig['lossType'];
  }
  const c: Record<string, unknown> = { ...defaultPreferenceConfig(lossType), precomputeReference: values['precompute-ref'] === true };
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    const x = flagNumber(String(v));
    if (!Number.isFinite(x)) throw new Error(`--${flag} must be a number, got "${String(v)}"`);
    c[key] = x;
  }
  const checked = preferenceConfigSchema.safeParse(c);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = Object.entries(FLAGS).find(([, k]) => k === issue.path[0])?.[0] ?? String(issue.path[0]);
    throw new Error(`--${flag}: ${issue.message}`);
  }
  return { method: base(), objective: checked.data };
}

/** The `--json` step and eval fields of TRL's metrics. */
export function metricFields(m?: Record<string, number>): Record<string, number> {
  if (!m) return {};
  const out: Record<string, number> = {};
  const names = { rewardChosen: 'rewards/chosen', rewardRejected: 'rewards/rejected', margin: 'rewards/margins', accuracy: 'rewards/accuracies', logpChosen: 'logps/chosen', logpRejected: 'logps/rejected', kl: 'kl',
    meanReward: 'reward', entropy: 'entropy', responseLength: 'completions/mean_length' };
  for (const [k, v] of Object.entries(names)) if (m[v] !== undefined) out[k] = m[v];
  return out;
}

/** The same as a short text line. */
export function metricText(m?: Record<string, number>): string {
  const f = metricFields(m);
  const parts = [['chosen', f.rewardChosen], ['rejected', f.rewardRejected], ['margin', f.margin], ['acc', f.accuracy], ['reward', f.meanReward], ['kl', f.kl], ['entropy', f.entropy], ['length', f.responseLength]] as const;
  return parts.filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${v!.toFixed(3)}`).join('  ');
}
