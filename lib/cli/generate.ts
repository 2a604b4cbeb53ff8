// `cli generate`: continues a prompt with a model folder, optionally through a PEFT adapter folder (any method the
// registry loads), so a trained adapter can be tried from the command line (greedy by default).
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderAlpacaPrompt } from '../data/templates';
import { generate } from '../engine/generate';
import { loadModelFolder } from '../engine/loader';
import { methodForPeftType } from '../engine/peft/methods';
import type { PeftFiles, TrainableState } from '../engine/peft/types';
import { readSafetensors, toFloat32 } from '../engine/safetensors';
import type { HostTensor, ModelConfig, WeightMap } from '../engine/types';
import { fsSource } from './fs-source';
import { initNodeBackend } from './node-backend';

export const GENERATE_USAGE = `generate --model <dir> (--prompt "..." | --instruction "..." [--input "..."])
      [--adapter <dir>] [--max-tokens N] [--temperature T] [--seed S] [--json]
      (--instruction renders the Alpaca template the studio trains Alpaca data with)`;

/** Reads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) as written by the studio or PEFT;
 * peft_type values the registry does not run are refused by name before the tensors are read. */
export async function readAdapterFolder(dir: string): Promise<PeftFiles> {
  const config = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8').catch(() => {
    throw new Error(`${dir} has no adapter_config.json`);
  }));
  methodForPeftType(config.peft_type, config);
  const file = readSafetensors(new Uint8Array(await readFile(join(dir, 'adapter_model.safetensors'))));
  const tensors: Record<string, HostTensor> = {};
  for (const [k, e] of file.tensors) tensors[k] = { shape: e.shape, data: toFloat32(e) };
  return { config, tensors };
}

/** An adapter folder as a trainable state, through the method its adapter_config.json names. */
export async function loadAdapterFolder(dir: string, model: ModelConfig, weights: WeightMap): Promise<TrainableState> {
  const files = await readAdapterFolder(dir);
  return methodForPeftType(files.config.peft_type, files.config).load!(files, model, weights);
}

export async function runGenerate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, prompt: { type: 'string' },
      instruction: { type: 'string' }, input: { type: 'string', default: '' },
      'max-tokens': { type: 'string', default: '40' }, temperature: { type: 'string', default: '0' },
      seed: { type: 'string', default: '0' }, json: { type: 'boolean', default: false },
    },
  });
  const prompt = values.instruction !== undefined ? renderAlpacaPrompt({ instruction: values.instruction, input: values.input }) : values.prompt;
  if (!values.model || prompt === undefined) throw new Error(`--model and --prompt (or --instruction) are required\n\n${GENERATE_USAGE}`);
  const maxNewTokens = Number(values['max-tokens']);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new Error('--max-tokens must be a positive integer');
  await initNodeBackend();
  const dir = resolve(values.model);
  const model = await loadModelFolder(basename(dir), fsSource(dir));
  const tuned = values.adapter ? await loadAdapterFolder(resolve(values.adapter), model.config, model.weights) : undefined;
  const promptIds = model.tokenizer.encode(prompt);
  const ids = await generate(model.config, tuned?.weights ?? model.weights, tuned?.adapter, promptIds, {
    maxNewTokens, temperature: Number(values.temperature), seed: Number(values.seed), eosId: model.tokenizer.eosId,
  });
  const text = model.tokenizer.decode(ids);
  console.log(values.json ? JSON.stringify({ prompt, ids, text }) : prompt + text);
}
