// `cli eval`: scores a model folder (optionally through a PEFT adapter folder) on a data file: the mean next-token
// loss over the counted targets (each record alone, the masks training uses), perplexity, token accuracy, and with
// --exact-match the share of greedy answers equal to the references (instruction data).
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chooseTemplate } from '../data/chat-template';
import { encodeConversations } from '../data/encode-chat';
import { evaluateExamples, exactMatch } from '../engine/evaluate';
import { loadModelFolder, tokenizerConfigOf } from '../engine/loader';
import { maxPositions } from '../engine/types';
import { checkChoice, readDataFile, SHAPES, TEMPLATES } from './data-args';
import { fsSource } from './fs-source';
import { loadAdapterFolder } from './generate';
import { initNodeBackend } from './node-backend';
import { flagNumber } from './flags';

export const EVAL_USAGE = `eval --model <dir> [--adapter <dir>] --data <file> [--seq-len T] [--exact-match] [--json]
      [--format auto|text|alpaca|prompt-completion|chat|preference] [--template auto|model|chatml|alpaca|llama3]
      [--entry <name>] [--backend wasm|cpu]
      Prints {"loss", "perplexity", "tokens", "accuracy"}: the mean next-token loss over the counted tokens of the
      records (each scored on its own, with the same masks as training; records are cut at --seq-len, the model's
      length by default). --exact-match adds the share of greedy answers equal to the reference answers.`;

export async function runEval(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, data: { type: 'string' }, 'seq-len': { type: 'string' },
      format: { type: 'string' }, template: { type: 'string' }, entry: { type: 'string' }, backend: { type: 'string', default: 'auto' },
      'exact-match': { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.model || !values.data) throw new Error(`--model and --data are required\n\n${EVAL_USAGE}`);
  if (!['auto', 'wasm', 'cpu'].includes(values.backend!)) throw new Error('--backend must be wasm or cpu');
  await initNodeBackend(values.backend as 'auto' | 'wasm' | 'cpu');
  const dir = resolve(values.model);
  const model = await loadModelFolder(basename(dir), fsSource(dir));
  const longest = maxPositions(model.config);
  const seqLen = values['seq-len'] === undefined ? longest : flagNumber(values['seq-len']);
  if (!Number.isInteger(seqLen) || seqLen < 2 || seqLen > longest) throw new Error(`--seq-len must be an integer from 2 to the model's ${longest} positions, got "${values['seq-len']}"`);
  const data = await readDataFile(values.data, checkChoice(values.format, SHAPES, 'format'), values.entry);
  if (data.records.length === 0) throw new Error(`${values.data} has no valid records (${data.issues.length} with errors)`);
  const template = chooseTemplate(checkChoice(values.template, TEMPLATES, 'template'), tokenizerConfigOf(model), data.shape);
  const enc = encodeConversations(model.tokenizer, data.records, { template, seqLen });
  const tuned = values.adapter ? await loadAdapterFolder(resolve(values.adapter), model.config, model.weights) : undefined;
  const m = { config: model.config, weights: tuned?.weights ?? model.weights, adapter: tuned?.adapter };
  const r = await evaluateExamples(m, enc.examples);
  const em = values['exact-match'] ? await exactMatch(m, enc.examples, (ids) => model.tokenizer.decode(ids), model.tokenizer.eosId) : null;
  const out = {
    loss: r.loss, perplexity: r.perplexity, tokens: r.tokens, accuracy: r.accuracy, records: enc.examples.length, truncated: enc.truncated,
    ...(em ? { exactMatch: em.rate, matched: em.matched, answered: em.total } : {}),
  };
  console.log(values.json ? JSON.stringify(out) :
    `${enc.examples.length} records, ${r.tokens} counted tokens: loss ${r.loss.toFixed(4)}, perplexity ${r.perplexity.toFixed(2)}, token accuracy ${(r.accuracy * 100).toFixed(1)}%` +
      (em ? `; exact match ${em.matched}/${em.total}` : ''));
}
