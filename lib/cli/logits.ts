// `cli logits` and `cli tokenize`: what a model folder (optionally through an adapter of any registered method; rows
// of the input tokens only, never prompt tuning's virtual ones) computes for given tokens
// or text, as JSON, so other implementations (PyTorch, llama.cpp) can be compared against the engine.
import * as tf from '@tensorflow/tfjs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFolder, loadTokenizer, type LoadedModel } from '../engine/loader';
import { disposeWeights, forward } from '../engine/model';
import { fsSource } from './fs-source';
import { loadAdapterFolder } from './generate';
import { initNodeBackend } from './node-backend';
import { flagNumber } from './flags';

export const LOGITS_USAGE = `logits --model <dir> [--adapter <dir>] (--tokens 1,2,3 | --text "...") [--backend wasm|cpu] --json
      prints {"tokens":[...],"logits":[[...],...]}: one row of vocabulary logits per position`;
export const TOKENIZE_USAGE = `tokenize --model <dir> --text "..." --json
      prints {"ids":[...]}`;

async function loadFolder(dir: string): Promise<LoadedModel> {
  const path = resolve(dir);
  return loadModelFolder(basename(path), fsSource(path));
}

/** Comma-separated ids, each an integer in [0, vocab). */
function parseTokens(text: string, vocab: number): number[] {
  const ids = text.split(',').map((t) => flagNumber(t.trim()));
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad !== undefined) throw new Error(`--tokens holds ${bad}, which is not a token id of this model (0 to ${vocab - 1})`);
  return ids;
}

export async function runLogits(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, tokens: { type: 'string' }, text: { type: 'string' },
      backend: { type: 'string', default: 'auto' }, json: { type: 'boolean', default: false },
    },
  });
  if (!values.model || (values.tokens === undefined) === (values.text === undefined)) {
    throw new Error(`--model and one of --tokens or --text are required\n\n${LOGITS_USAGE}`);
  }
  await initNodeBackend(values.backend as 'auto' | 'wasm' | 'cpu');
  const model = await loadFolder(values.model);
  const tuned = values.adapter ? await loadAdapterFolder(resolve(values.adapter), model.config, model.weights) : undefined;
  const tokens = values.tokens !== undefined ? parseTokens(values.tokens, model.config.vocab_size) : model.tokenizer.encode(values.text!);
  if (tokens.length === 0) throw new Error('The input has no tokens');
  const logits = tf.tidy(() => forward(model.config, tuned?.weights ?? model.weights, tf.tensor2d(tokens, [1, tokens.length], 'int32'), { adapter: tuned?.adapter }));
  const rows = ((await logits.array()) as number[][][])[0]; // [T, V]
  logits.dispose();
  tuned?.dispose();
  disposeWeights(model.weights);
  console.log(JSON.stringify({ tokens, logits: rows }));
}

export async function runTokenize(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' }, text: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (!values.model || values.text === undefined) throw new Error(`--model and --text are required\n\n${TOKENIZE_USAGE}`);
  const { tokenizer } = await loadTokenizer(fsSource(resolve(values.model))); // no weights needed
  console.log(JSON.stringify({ ids: tokenizer.encode(values.text) }));
}
