// `cli train`: loads a model folder and a data file, trains on wasm (or cpu), writes the export folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFolder, tokenizerConfigOf } from '../engine/loader';
import { formatBytes } from '../engine/memory-plan';
import { Trainer } from '../engine/trainer';
import { METHOD_IDS } from '../engine/peft/registry';
import { maxPositions, type TrainConfig } from '../engine/types';
import { chooseTemplate } from '../data/chat-template';
import { encodeConversations } from '../data/encode-chat';
import { splitRecords } from '../data/split';
import { defaultTrainConfig } from '../engine/defaults';
import { applyMethodFlags, checkMethod, fitModulesToModel, methodOptions, methodUsage } from './method-args';
import { exportRun } from '../export/run-export';
import { checkChoice, readDataFile, SHAPES, TEMPLATES } from './data-args';
import { fsSource } from './fs-source';
import { initNodeBackend } from './node-backend';
import { runPlanFor, WASM_HEAP_BYTES } from './plan';
import { readAdapterFolder } from './generate';
import { methodForPeftType } from '../engine/peft/methods';
import type { PeftFiles } from '../engine/peft/types';

export const TRAIN_USAGE = `train --model <dir> --data <file> --method ${METHOD_IDS.join('|')} --steps N --out <dir>
      [--adapter <dir> (continue a saved adapter; its method is the run's)] [--batch B] [--seq-len T] [--lr X] [--seed S] and the method's own flags:
${methodUsage()}
      [--val-ratio F | --val-data <file>] [--backend wasm|cpu] [--format auto|text|alpaca|prompt-completion|chat|preference]
      [--template auto|model|chatml|alpaca|llama3] [--entry <name> (--data is a dataset_info.json)] [--packing] [--json]
      [--checkpointing | --no-checkpointing]
      --packing packs short training examples into rows of --seq-len (attention stays inside each example; validation unpacked).
      Gradient checkpointing (each block recomputed in the backward pass: far less memory, about a third slower) is on
      only when the memory plan does not fit 4 GiB (wasm's heap) without it, unless a flag says.
      Any data layout (JSONL, JSON, CSV, TSV, Parquet, txt); chat data is templated and learns assistant turns;
      preference pairs train on the chosen answer.`;

function num(v: string | undefined, name: string, int = true): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x)) || x < 0) throw new Error(`--${name} must be a ${int ? 'non-negative integer' : 'number'}, got "${v}"`);
  return x;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, data: { type: 'string' }, method: { type: 'string' }, adapter: { type: 'string' },
      steps: { type: 'string' }, batch: { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' },
      ...methodOptions(), seed: { type: 'string' },
      'val-ratio': { type: 'string' }, 'val-data': { type: 'string' }, backend: { type: 'string', default: 'auto' }, out: { type: 'string' },
      format: { type: 'string' }, template: { type: 'string' }, entry: { type: 'string' }, json: { type: 'boolean', default: false },
      packing: { type: 'boolean', default: false }, checkpointing: { type: 'boolean' }, 'no-checkpointing': { type: 'boolean' },
    },
    strict: true,
  });
  for (const req of ['model', 'data', 'out'] as const) if (!values[req]) throw new Error(`--${req} is required\n\n${TRAIN_USAGE}`);
  if (!['auto', 'wasm', 'cpu'].includes(values.backend!)) throw new Error('--backend must be wasm or cpu');
  const base = defaultTrainConfig(checkMethod(values.method)); // lora when absent; --adapter sets it in runTrain
  const cfg: TrainConfig = applyMethodFlags({
    ...base,
    steps: num(values.steps, 'steps') ?? base.steps,
    batchSize: num(values.batch, 'batch') ?? base.batchSize,
    seqLen: num(values['seq-len'], 'seq-len') ?? base.seqLen,
    lr: num(values.lr, 'lr', false) ?? base.lr,
    seed: num(values.seed, 'seed') ?? base.seed,
    ...(values.packing ? { packing: true } : {}),
  }, values);
  if (cfg.steps < 1 || cfg.batchSize < 1) throw new Error('--steps and --batch must be at least 1');
  if (values.checkpointing && values['no-checkpointing']) throw new Error('Use --checkpointing or --no-checkpointing, not both');
  if (values.checkpointing || values['no-checkpointing']) cfg.checkpointing = Boolean(values.checkpointing);
  const data = { format: checkChoice(values.format, SHAPES, 'format'), template: checkChoice(values.template, TEMPLATES, 'template') };
  return { values, cfg, data, valRatio: num(values['val-ratio'], 'val-ratio', false) ?? 0 };
}

/** `--adapter`: the run continues that adapter, so its method is the run's (a different --method is refused). */
function continuedConfig(cfg: TrainConfig, files: PeftFiles, methodFlag: string | undefined, lrGiven: boolean): TrainConfig {
  const method = methodForPeftType(files.config.peft_type, files.config);
  if (methodFlag !== undefined && methodFlag !== method.id) throw new Error(`--adapter holds an adapter of method ${method.label}; drop --method ${methodFlag} or use --method ${method.id}`);
  if (method.id === cfg.method) return cfg;
  const base = defaultTrainConfig(method.id);
  return { ...cfg, method: method.id, lr: lrGiven ? cfg.lr : base.lr, weightDecay: base.weightDecay };
}

export async function runTrain(argv: string[]): Promise<void> {
  const { values, cfg: parsed, data: dataOpts, valRatio } = parse(argv);
  const resume = values.adapter ? await readAdapterFolder(resolve(values.adapter)) : undefined;
  let cfg = resume ? continuedConfig(parsed, resume, values.method, values.lr !== undefined) : parsed;
  const log = (o: object, text: string) => (values.json ? console.log(JSON.stringify(o)) : console.log(text));
  const backend = await initNodeBackend(values.backend as 'auto' | 'wasm' | 'cpu');
  const modelDir = resolve(values.model!);
  const model = await loadModelFolder(basename(modelDir), fsSource(modelDir));
  // Without --lora-targets, Llama-family models get their attention projections (the defaults name GPT-2's modules).
  cfg = fitModulesToModel(cfg, values, model.config);
  const data = await readDataFile(values.data!, dataOpts.format, values.entry);
  const template = chooseTemplate(dataOpts.template, tokenizerConfigOf(model), data.shape);
  if (cfg.seqLen > maxPositions(model.config)) throw new Error(`--seq-len ${cfg.seqLen} exceeds the model's ${maxPositions(model.config)} positions`);
  if (values['val-data'] && valRatio > 0) throw new Error('Use --val-ratio or --val-data, not both');
  const valData = values['val-data'] ? await readDataFile(values['val-data'], dataOpts.format) : null;
  const { train, validation } = valData ? { train: data.records, validation: valData.records } : splitRecords(data.records, valRatio, cfg.seed);
  const enc = encodeConversations(model.tokenizer, train, { template, seqLen: cfg.seqLen });
  const val = encodeConversations(model.tokenizer, validation, { template, seqLen: cfg.seqLen });
  log(
    { event: 'data', format: data.shape, container: data.container, template: template.name, records: data.total, valid: data.records.length, invalid: data.issues.length, errors: data.issues.slice(0, 50), validationInvalid: valData?.issues.length ?? 0, trainExamples: enc.examples.length, validationExamples: val.examples.length, truncated: enc.truncated, droppedNoLoss: enc.droppedNoLoss },
    `${data.shape} data (${data.container}, ${template.name} template): ${data.total} records, ${data.records.length} valid, ${data.issues.length} with errors; ` +
      `${enc.examples.length} training and ${val.examples.length} validation examples (${enc.truncated} cut at ${cfg.seqLen} tokens, ${enc.droppedNoLoss} left out: nothing to learn after the cut)` +
      data.issues.slice(0, 10).map((e) => `\n  line ${e.line} [${e.class}]: ${e.reason}`).join(''),
  );
  if (!values.json) console.log(`backend: ${backend.backend} (${backend.adapter})`);
  const plan = runPlanFor(model.config, cfg, WASM_HEAP_BYTES);
  cfg = { ...cfg, checkpointing: plan.checkpointing };
  log({ event: 'plan', totalBytes: plan.total, checkpointing: plan.checkpointing, fits: plan.fits },
    `memory plan: ${formatBytes(plan.total)}, gradient checkpointing ${plan.checkpointing ? 'on' : 'off'}`);
  if (backend.backend === 'wasm' && !plan.fits) {
    throw new Error(`This run needs about ${formatBytes(plan.total)}, more than WebAssembly's ${formatBytes(WASM_HEAP_BYTES)} heap. ` +
      (plan.suggestions.length ? `What would fit: ${plan.suggestions.map((s) => s.label).join(', ')}.` : 'Choose a smaller model.'));
  }
  let last = { loss: NaN, tokens: 0, step: 0 };
  let valLoss: number | undefined;
  const trainer = new Trainer({ ...model, resume }, enc.examples, val.examples, cfg, {
    onStep: (m) => {
      last = m;
      log({ event: 'step', step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, tokensPerSec: m.tokensPerSec },
        `step ${m.step}/${m.totalSteps}  loss ${m.loss.toFixed(4)}  lr ${m.lr.toExponential(2)}  |g| ${m.gradNorm.toFixed(3)}  ${m.tokensPerSec.toFixed(0)} tok/s`);
    },
    onEval: (m) => {
      valLoss = m.valLoss;
      log({ event: 'eval', step: m.step, valLoss: m.valLoss, perplexity: m.perplexity }, `eval step ${m.step}: validation loss ${m.valLoss.toFixed(4)} (perplexity ${m.perplexity.toFixed(2)})`);
    },
  });
  if (trainer.paddingSavedShare !== null) {
    const saved = trainer.paddingSavedShare;
    log({ event: 'packing', paddingSavedShare: saved }, `packing: examples packed into rows of ${cfg.seqLen} tokens, ${(saved * 100).toFixed(0)}% of the padding removed`);
  }
  const result = await trainer.run();
  const bundle = await exportRun(trainer, model, cfg, {
    steps: result.steps, firstLoss: result.firstLoss, lastLoss: result.lastLoss, valLoss, trainExamples: enc.examples.length,
    tokens: last.tokens, backend: `${backend.backend} (${backend.adapter})`, dataFile: basename(values.data!),
  });
  const out = resolve(values.out!);
  await mkdir(out, { recursive: true });
  for (const [name, bytes] of Object.entries(bundle.files)) await writeFile(join(out, name), bytes);
  trainer.dispose();
  log({ event: 'done', steps: result.steps, firstLoss: result.firstLoss, lastLoss: result.lastLoss, backend: backend.backend, out },
    `done: ${result.steps} steps, loss ${result.firstLoss.toFixed(4)} -> ${result.lastLoss.toFixed(4)}; wrote ${Object.keys(bundle.files).join(', ')} to ${out}`);
}
