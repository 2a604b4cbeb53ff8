// `cli train`: loads a model folder and a data file, trains on wasm (or cpu), writes the export folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFolder, parseModelConfig, readJson, tokenizerConfigOf, type BaseWeights } from '../engine/loader';
import { packedBaseRefusal } from '../engine/peft/spec';
import { formatBytes } from '../engine/memory-plan';
import { Trainer, TrainingDivergedError } from '../engine/trainer';
import { METHOD_IDS, methodSpec } from '../engine/peft/registry';
import type { TrainConfig } from '../engine/types';
import { chooseTemplate } from '../data/chat-template';
import { encodeConversations } from '../data/encode-chat';
import { encodePreferenceSet } from '../data/encode-preference';
import type { Conversation } from '../data/types';
import { isUnpaired } from '../engine/objectives/config';
import { isRlMethod } from '../engine/rl/config';
import { defaultTrainConfig } from '../engine/defaults';
import { applyMethodFlags, fitModulesToModel, methodOptions, methodUsage } from './method-args';
import { metricFields, metricText, OBJECTIVE_USAGE, objectiveOptions, parseObjective } from './objective-args';
import { rowsPerExample } from '../engine/run-plan';
import type { TextTokenizer } from '../data/types';
import type { ChatTemplate } from '../data/chat-template';
import { exportRun } from '../export/run-export';
import { checkChoice, readDataFile, SHAPES, TEMPLATES } from './data-args';
import { fsSource } from './fs-source';
import { adapterMethodOf, loadAdapterFolder } from './generate';
import { initNodeBackend } from './node-backend';
import { runPlanFor } from './plan';
import { prepareOutDir } from './out-dir';
import { backendBudget, fitSeqLen, refuseUnfitPlan } from './train-checks';
import { DEFAULT_CLEAN_OPTIONS, prepareRecords } from '../data/prepare';
import { RL_USAGE, rlOptions } from './rl-args';
import { runRlTrain } from './train-rl';
import { generalRows } from '../engine/forgetting';
import { applyRunStateFlags, forgetting, readResumeState, RUN_STATE_OPTIONS, RUN_STATE_USAGE, testMetrics, writeTrainState } from './train-run-state';
import { checkTrainConfig, flagNumber } from './flags';

export const TRAIN_USAGE = `train --model <dir> --data <file> (--method ${METHOD_IDS.join('|')}|dpo|ipo|simpo|orpo|kto|reward|grpo|rloo|ppo | --adapter <dir>) --steps N --out <dir>
      (--adapter continues training a saved adapter folder of any method; the folder names the method)
      [--batch B] [--seq-len T] [--lr X] [--seed S] and the method's own flags:
${methodUsage()}
${OBJECTIVE_USAGE}
${RL_USAGE}
      [--val-ratio F | --val-data <file>] [--backend wasm|cpu] [--format auto|text|alpaca|prompt-completion|chat|preference]
      [--template auto|model|chatml|alpaca|llama3] [--entry <name> (--data is a dataset_info.json)] [--packing] [--json]
      [--checkpointing | --no-checkpointing] [--weights f32|f16|int8]
${RUN_STATE_USAGE}
      --packing packs short training examples into rows of --seq-len (attention stays inside each example; validation unpacked).
      Gradient checkpointing (each block recomputed in the backward pass: far less memory, about a third slower) is on
      only when the memory plan does not fit 4 GiB (wasm's heap) without it, unless a flag says.
      --weights f16|int8 loads the block linears packed (half / a quarter of their memory, widened a block at a time;
      adapter methods that read the base only through the linear product: LoRA, prompt, prefix, bottleneck adapters).
      Any data layout (JSONL, JSON, CSV, TSV, Parquet, txt); chat data is templated and learns assistant turns;
      preference pairs train on the chosen answer.`;

function num(v: string | undefined, name: string, int = true): number | undefined {
  if (v === undefined) return undefined;
  const x = flagNumber(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x)) || x < 0) throw new Error(`--${name} must be a ${int ? 'non-negative integer' : 'number'}, got "${v}"`);
  return x;
}

async function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, data: { type: 'string' }, method: { type: 'string' }, adapter: { type: 'string' }, ...RUN_STATE_OPTIONS,
      steps: { type: 'string' }, batch: { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' },
      ...methodOptions(), ...objectiveOptions(), ...rlOptions(), seed: { type: 'string' },
      'val-ratio': { type: 'string' }, 'val-data': { type: 'string' }, backend: { type: 'string', default: 'auto' }, out: { type: 'string' },
      format: { type: 'string' }, template: { type: 'string' }, entry: { type: 'string' }, json: { type: 'boolean', default: false },
      packing: { type: 'boolean', default: false }, checkpointing: { type: 'boolean' }, 'no-checkpointing': { type: 'boolean' },
      weights: { type: 'string', default: 'f32' },
    },
    strict: true,
  });
  for (const req of ['model', 'data', 'out'] as const) if (!values[req]) throw new Error(`--${req} is required\n\n${TRAIN_USAGE}`);
  if (!['auto', 'wasm', 'cpu'].includes(values.backend!)) throw new Error('--backend must be wasm or cpu');
  if (!['f32', 'f16', 'int8'].includes(values.weights!)) throw new Error(`--weights must be f32, f16 or int8, got "${values.weights}"`);
  // --adapter continues a saved adapter: its folder names the method.
  const resumed = values.adapter ? (await adapterMethodOf(resolve(values.adapter))).id : undefined;
  // RL continues an SFT adapter as its policy (--method names the algorithm, the adapter the PEFT method).
  if (values.method && isRlMethod(values.method) && resumed) values['base-method'] ??= resumed;
  if (resumed && values.method && values.method !== resumed && !isRlMethod(values.method)) throw new Error(`--adapter ${values.adapter} holds a ${resumed} adapter; leave out --method ${values.method}`);
  const chosen = parseObjective(values.method === undefined && resumed ? { ...values, method: resumed } : values);
  // A resumed run starts from its saved settings; flags given still apply (and must agree where resuming needs it).
  const resume = readResumeState(values);
  const base = resume?.meta.config ?? defaultTrainConfig(chosen.method);
  if (resume && values.method && chosen.method !== base.method) throw new Error(`--resume: the saved run trained ${base.method}, not ${chosen.method}`);
  const objective = resume ? base.objective : chosen.objective;
  const cfg: TrainConfig = applyMethodFlags(applyRunStateFlags({
    ...base,
    ...(objective ? { objective } : {}),
    steps: num(values.steps, 'steps') ?? base.steps,
    batchSize: num(values.batch, 'batch') ?? base.batchSize,
    seqLen: num(values['seq-len'], 'seq-len') ?? base.seqLen,
    lr: num(values.lr, 'lr', false) ?? base.lr,
    seed: num(values.seed, 'seed') ?? base.seed,
    ...(values.packing ? { packing: true } : {}),
  }, values), values);
  if (cfg.steps < 1 || cfg.batchSize < 1) throw new Error('--steps and --batch must be at least 1');
  if (values.checkpointing && values['no-checkpointing']) throw new Error('Use --checkpointing or --no-checkpointing, not both');
  if (values.checkpointing || values['no-checkpointing']) cfg.checkpointing = Boolean(values.checkpointing);
  checkTrainConfig(cfg); // the studio's and the worker's schema: every setting in its bounds, named by flag
  const data = { format: checkChoice(values.format, SHAPES, 'format'), template: checkChoice(values.template, TEMPLATES, 'template') };
  return { values, cfg, data, valRatio: num(values['val-ratio'], 'val-ratio', false) ?? 0, testRatio: num(values['test-ratio'], 'test-ratio', false) ?? 0, resume };
}

export async function runTrain(argv: string[]): Promise<void> {
  const { values, cfg: parsed, data: dataOpts, valRatio, testRatio, resume } = await parse(argv);
  if (parsed.objective?.kind === 'rl') return runRlTrain(values, { ...parsed, objective: parsed.objective }, { valRatio, resume });
  let cfg = parsed;
  const log = (o: object, text: string) => (values.json ? console.log(JSON.stringify(o)) : console.log(text));
  const out = await prepareOutDir(values.out!); // before any work: a bad --out is found now, not after training
  const backend = await initNodeBackend(values.backend as 'auto' | 'wasm' | 'cpu');
  const modelDir = resolve(values.model!);
  const source = fsSource(modelDir);
  // config.json alone first: sizes, sequence length and the memory plan are checked before weights are read.
  const config = parseModelConfig(await readJson(source, 'config.json', true));
  cfg = fitSeqLen(cfg, config, values['seq-len'] !== undefined || Boolean(resume));
  // Without --lora-targets, Llama-family models get their attention projections (the defaults name GPT-2's modules).
  cfg = fitModulesToModel(cfg, values, config);
  // The plan counts the rows a preference objective puts through the model (planRequestFor).
  const weights = values.weights as BaseWeights;
  if (weights !== 'f32') {
    const refusal = packedBaseRefusal(methodSpec(cfg.method));
    if (refusal) throw new Error(`--weights ${weights}: ${refusal.replace('load the model in float32', 'leave out --weights')}`);
  }
  const plan = runPlanFor(config, cfg, backendBudget(backend.backend).bytes, weights);
  refuseUnfitPlan(plan, cfg, backendBudget(backend.backend), rowsPerExample(cfg));
  cfg = { ...cfg, checkpointing: plan.checkpointing };
  const model = await loadModelFolder(basename(modelDir), source, undefined, weights);
  const data = await readDataFile(values.data!, dataOpts.format, values.entry);
  const template = chooseTemplate(dataOpts.template, tokenizerConfigOf(model), data.shape);
  if (values['val-data'] && valRatio > 0) throw new Error('Use --val-ratio or --val-data, not both');
  const valData = values['val-data'] ? await readDataFile(values['val-data'], dataOpts.format) : null;
  if (values['test-data'] && testRatio > 0) throw new Error('Use --test-ratio or --test-data, not both');
  if (cfg.objective && (values['test-data'] || testRatio > 0)) throw new Error('--test-ratio and --test-data score the causal-LM loss; a preference or reward run reports its metrics on the validation pairs instead');
  const testData = values['test-data'] ? await readDataFile(values['test-data'], dataOpts.format) : null;
  // Cleaned and split as the studio's Data step does with its default cleaning and the same seed (lib/data/prepare.ts).
  const prepared = prepareRecords(data.records, DEFAULT_CLEAN_OPTIONS, { validation: valRatio, test: testRatio, seed: cfg.seed }, valData?.records);
  const { train, validation, test: testRecords } = prepared.parts;
  const test = encodeConversations(model.tokenizer, testData?.records ?? testRecords, { template, seqLen: cfg.seqLen }).examples;
  const enc = encodeRows(model.tokenizer, train, template, cfg);
  const val = encodeRows(model.tokenizer, validation, template, cfg);
  log(
    { event: 'data', format: data.shape, container: data.container, template: template.name, records: data.total, valid: data.records.length, invalid: data.issues.length, errors: data.issues.slice(0, 50), removedByCleaning: prepared.cleaned.removed.length, validationInvalid: valData?.issues.length ?? 0, trainExamples: enc.examples.length, validationExamples: val.examples.length, truncated: enc.truncated, droppedNoLoss: enc.droppedNoLoss },
    `${data.shape} data (${data.container}, ${template.name} template): ${data.total} records, ${data.records.length} valid, ${data.issues.length} with errors, ${prepared.cleaned.removed.length} removed by cleaning; ` +
      `${enc.examples.length} training and ${val.examples.length} validation examples (${enc.truncated} cut at ${cfg.seqLen} tokens, ${enc.droppedNoLoss} left out: nothing to learn after the cut)` +
      data.issues.slice(0, 10).map((e) => `\n  line ${e.line} [${e.class}]: ${e.reason}`).join(''),
  );
  if (!values.json) console.log(`backend: ${backend.backend} (${backend.adapter})`);
  log({ event: 'plan', totalBytes: plan.total, checkpointing: plan.checkpointing, fits: plan.fits },
    `memory plan: ${formatBytes(plan.total)}, gradient checkpointing ${plan.checkpointing ? 'on' : 'off'}`);
  const general = cfg.replayShare || values.forgetting ? generalRows(model.tokenizer, cfg.seqLen) : [];
  let saving = Promise.resolve();
  let last = { loss: NaN, tokens: 0, step: 0 };
  const lossAt: number[] = []; // by step, for the export of a run stopped by divergence
  let valLoss: number | undefined;
  const initialState = values.adapter ? await loadAdapterFolder(resolve(values.adapter), model.config, model.weights) : undefined;
  const trainer = new Trainer({ ...model, initialState }, enc.examples, val.examples, cfg, {
    onStep: (m) => {
      last = m;
      lossAt[m.step] = m.loss;
      log({ event: 'step', step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, tokensPerSec: m.tokensPerSec, ...metricFields(m.metrics) },
        `step ${m.step}/${m.totalSteps}  loss ${m.loss.toFixed(4)}  lr ${m.lr.toExponential(2)}  |g| ${m.gradNorm.toFixed(3)}  ${m.tokensPerSec.toFixed(0)} tok/s  ${metricText(m.metrics)}`);
    },
    onEval: (m) => {
      valLoss = m.valLoss;
      log({ event: 'eval', step: m.step, valLoss: m.valLoss, perplexity: m.perplexity, best: m.best ?? false, ...metricFields(m.metrics) },
        `eval step ${m.step}: validation loss ${m.valLoss.toFixed(4)} ` + (m.metrics ? metricText(m.metrics) : `(perplexity ${m.perplexity.toFixed(2)})`) + (m.best ? ', best so far' : ''));
    },
    // Autosave: the state is snapshotted now and written in order, while training goes on.
    onCheckpoint: (step) => {
      if ((cfg.checkpointEvery ?? 0) === 0 || step >= cfg.steps) return;
      const state = trainer.saveState();
      saving = saving.then(() => writeTrainState(state, out));
    },
  }, { replay: general });
  if (resume) {
    trainer.restoreState(resume);
    const decays = cfg.schedule !== 'constant' && resume.meta.config.steps !== cfg.steps;
    log({ event: 'resume', from: values.resume, step: resume.meta.step, steps: cfg.steps, scheduleChanged: decays },
      `resuming ${values.resume} at step ${resume.meta.step} of ${cfg.steps}` + (decays ? ` (the ${cfg.schedule} schedule now decays over ${cfg.steps} steps, not the ${resume.meta.config.steps} the run began with)` : ''));
  }

  if (trainer.paddingSavedShare !== null) {
    const saved = trainer.paddingSavedShare;
    log({ event: 'packing', paddingSavedShare: saved }, `packing: examples packed into rows of ${cfg.seqLen} tokens, ${(saved * 100).toFixed(0)}% of the padding removed`);
  }
  const result = await trainer.run().catch(async (e: unknown) => {
    // A diverged run has its last good weights back in the trainer: write them, so the message's step is on disk.
    if (!(e instanceof TrainingDivergedError)) throw e;
    await saving;
    const kept = await exportRun(trainer, model, cfg, {
      steps: e.keptStep, firstLoss: lossAt[1] ?? NaN, lastLoss: lossAt[e.keptStep] ?? NaN, valLoss, trainExamples: enc.examples.length,
      tokens: last.tokens, backend: `${backend.backend} (${backend.adapter})`, dataFile: basename(values.data!), ...(weights === 'f32' ? {} : { baseWeights: weights }),
    });
    for (const [name, bytes] of Object.entries(kept.files)) await writeFile(join(out, name), bytes);
    trainer.dispose();
    throw new Error(`${e.message} Wrote the weights of step ${e.keptStep} (${Object.keys(kept.files).join(', ')}) to ${out}.`);
  });
  await saving;
  await writeTrainState(trainer.saveState(), out); // the last step, for --resume; the export below holds the kept weights
  const keptStep = trainer.restoreBest() ?? result.steps;
  if (test.length > 0) {
    const t = await testMetrics(trainer.evalModel(), test, model.tokenizer, data.shape !== 'text');
    log({ event: 'test', ...t }, `test (${t.examples} examples): loss ${t.loss.toFixed(4)}, perplexity ${t.perplexity.toFixed(2)}, token accuracy ${(t.accuracy * 100).toFixed(1)}%` +
      (t.exactMatch === null ? '' : `, exact match ${(t.exactMatch * 100).toFixed(1)}%`));
  }
  if (values.forgetting) {
    // The base model's weights are never changed by training (methods train copies or adapters).
    const f = await forgetting({ config: model.config, weights: model.weights, packed: model.packed }, trainer.evalModel(), general);
    log({ event: 'forgetting', ...f }, `forgetting: general-text perplexity ${f.before.toFixed(2)} -> ${f.after.toFixed(2)} (${(f.change * 100).toFixed(1)}%). ${f.verdict}`);
  }
  const bundle = await exportRun(trainer, model, cfg, {
    steps: result.steps, firstLoss: result.firstLoss, lastLoss: result.lastLoss, valLoss: result.bestValLoss ?? valLoss, trainExamples: enc.examples.length,
    tokens: last.tokens, backend: `${backend.backend} (${backend.adapter})`, dataFile: basename(values.data!), ...(weights === 'f32' ? {} : { baseWeights: weights }),
  });
  await mkdir(out, { recursive: true });
  for (const [name, bytes] of Object.entries(bundle.files)) await writeFile(join(out, name), bytes);
  trainer.dispose();
  log({ event: 'done', steps: result.steps, firstLoss: result.firstLoss, lastLoss: result.lastLoss, backend: backend.backend, out,
    stoppedAt: result.steps, earlyStopped: result.earlyStopped, keptStep, bestValLoss: result.bestValLoss },
    `done: ${result.steps} steps${result.earlyStopped ? ' (stopped early)' : ''}, loss ${result.firstLoss.toFixed(4)} -> ${result.lastLoss.toFixed(4)}; ` +
      `kept step ${keptStep}${result.bestValLoss === null ? '' : ` (validation loss ${result.bestValLoss.toFixed(4)})`}; wrote ${Object.keys(bundle.files).join(', ')} to ${out}`);
}

/** Token rows for the run's objective: examples for causal LM (preference pairs train on the chosen answer), pairs
 * as TRL tokenises them for the DPO family, desirable/undesirable answers for KTO. */
function encodeRows(tok: TextTokenizer, records: Conversation[], template: ChatTemplate, cfg: TrainConfig) {
  if (!cfg.objective) return encodeConversations(tok, records, { template, seqLen: cfg.seqLen });
  return { ...encodePreferenceSet(tok, records, { template, seqLen: cfg.seqLen, unpaired: isUnpaired(cfg.objective) }), droppedNoLoss: 0 };
}
