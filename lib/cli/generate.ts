// `cli generate`: continues a prompt with a model folder, optionally through a PEFT adapter folder (any method the
// registry loads), so a trained adapter can be tried from the command line: greedy by default, or sampled with
// temperature, top-k, top-p and a seed; repetition penalty, stop texts; the KV cache unless --no-cache.
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderAlpacaPrompt } from '../data/templates';
import { generateWithReason, type GenerateOptions } from '../engine/generate';
import { loadModelFolder } from '../engine/loader';
import { parseJsonFile } from '../engine/model-load-error';
import { methodForPeftType } from '../engine/peft/methods';
import type { PeftMethod } from '../engine/peft/method';
import type { MethodId } from '../engine/peft/registry';
import type { TrainableState } from '../engine/peft/types';
import { readSafetensors, toFloat32 } from '../engine/safetensors';
import type { HostTensor, ModelConfig, WeightMap } from '../engine/types';
import { fsSource } from './fs-source';
import { initNodeBackend } from './node-backend';
import { flagNumber } from './flags';

export const GENERATE_USAGE = `generate --model <dir> (--prompt "..." | --instruction "..." [--input "..."])
      [--adapter <dir>] [--max-new-tokens N] [--greedy | --temperature T [--top-k K] [--top-p P] [--seed S]]
      [--repetition-penalty R] [--stop TEXT ...] [--no-cache] [--json]
      prints {"prompt":..,"text":..,"ids":[...],"stopped":"length|eos|stop"}: the new tokens (greedy by default;
      --top-k or --top-p alone sample at temperature 1; --instruction renders the Alpaca template)`;

/** adapter_config.json of an adapter folder, or a clear error. */
async function readAdapterConfig(dir: string): Promise<Record<string, unknown>> {
  const text = await readFile(join(dir, 'adapter_config.json'), 'utf8').catch(() => {
    throw new Error(`${dir} has no adapter_config.json`);
  });
  return parseJsonFile(text, join(dir, 'adapter_config.json'));
}

/** The registered method that reads the adapter folder `dir` (by its peft_type); types we do not run are refused. */
export async function adapterMethodOf(dir: string): Promise<PeftMethod<MethodId>> {
  const config = await readAdapterConfig(dir);
  return methodForPeftType(config.peft_type, config);
}

/** Reads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) as written by the studio or PEFT,
 * through the method its peft_type (and, for LoRA, use_dora) names; types the registry does not run are refused by name. */
export async function loadAdapterFolder(dir: string, model: ModelConfig, weights: WeightMap): Promise<TrainableState> {
  const config = await readAdapterConfig(dir);
  const method = methodForPeftType(config.peft_type, config); // refuses types we do not run before reading tensors
  const file = readSafetensors(new Uint8Array(await readFile(join(dir, 'adapter_model.safetensors'))));
  const tensors: Record<string, HostTensor> = {};
  for (const [k, e] of file.tensors) tensors[k] = { shape: e.shape, data: toFloat32(e) };
  return method.load!({ config, tensors }, model, weights);
}

/** A flag's number, checked: integer or not, and the smallest value allowed. */
function numberFlag(v: string | undefined, flag: string, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = flagNumber(v);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`--${flag} must be ${what}, got "${v}"`);
  return n;
}

/** Sampling settings from the flags: greedy unless a temperature (or top-k / top-p, at temperature 1) is given. */
export function samplingFlags(values: Record<string, string | boolean | string[] | undefined>): Omit<GenerateOptions, 'eosId' | 'stop'> {
  const str = (k: string) => values[k] as string | undefined;
  const maxNewTokens = numberFlag(str('max-new-tokens') ?? str('max-tokens'), 'max-new-tokens', (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? 40;
  const topK = numberFlag(str('top-k'), 'top-k', (n) => Number.isInteger(n) && n >= 0, 'a whole number (0 = off)');
  const topP = numberFlag(str('top-p'), 'top-p', (n) => n > 0 && n <= 1, 'in (0, 1]');
  const temperature = numberFlag(str('temperature'), 'temperature', (n) => n >= 0, 'zero or more');
  const repetitionPenalty = numberFlag(str('repetition-penalty'), 'repetition-penalty', (n) => n > 0, 'positive');
  const seed = numberFlag(str('seed'), 'seed', Number.isInteger, 'an integer') ?? 0;
  if (values.greedy && (temperature !== undefined || topK !== undefined || topP !== undefined)) throw new Error('--greedy picks the most likely token: leave out --temperature, --top-k and --top-p');
  const sampling = temperature ?? (topK !== undefined || topP !== undefined ? 1 : 0);
  return { maxNewTokens, temperature: values.greedy ? 0 : sampling, topK, topP, seed, repetitionPenalty, cache: values['no-cache'] !== true };
}

export async function runGenerate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, prompt: { type: 'string' },
      instruction: { type: 'string' }, input: { type: 'string', default: '' },
      'max-new-tokens': { type: 'string' }, 'max-tokens': { type: 'string' }, greedy: { type: 'boolean', default: false },
      temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' },
      'repetition-penalty': { type: 'string' }, stop: { type: 'string', multiple: true }, 'no-cache': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const prompt = values.instruction !== undefined ? renderAlpacaPrompt({ instruction: values.instruction, input: values.input }) : values.prompt;
  if (!values.model || prompt === undefined) throw new Error(`--model and --prompt (or --instruction) are required\n\n${GENERATE_USAGE}`);
  const sampling = samplingFlags(values);
  await initNodeBackend();
  const dir = resolve(values.model);
  const model = await loadModelFolder(basename(dir), fsSource(dir));
  const tuned = values.adapter ? await loadAdapterFolder(resolve(values.adapter), model.config, model.weights) : undefined;
  const promptIds = model.tokenizer.encode(prompt);
  const stop = values.stop?.length ? { sequences: values.stop, decode: (ids: number[]) => model.tokenizer.decode(ids) } : undefined;
  const { ids, reason } = await generateWithReason(model.config, tuned?.weights ?? model.weights, tuned?.adapter, promptIds, { ...sampling, stop, eosId: model.tokenizer.eosId });
  const text = model.tokenizer.decode(ids);
  tuned?.dispose();
  console.log(values.json ? JSON.stringify({ prompt, text, ids, stopped: reason }) : prompt + text);
}
