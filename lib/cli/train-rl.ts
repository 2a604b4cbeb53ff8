// `cli train --method grpo|rloo|ppo`: loads the policy model (and an SFT adapter to continue), a prompts file and
// the reward (a reward-model folder or --reward specs), runs RL through the same Trainer as every objective and
// writes the policy's files to --out (and the train state, for --resume). `--json` step events carry meanReward, kl,
// entropy, responseLength and, every --sample-every steps, a few sampled answers with their rewards; with
// --val-ratio or --val-data, eval events carry the mean reward of sampled answers to held-out prompts.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { chooseTemplate } from '../data/chat-template';
import { splitDataset } from '../data/split3';
import { conversationPrompts, encodePrompts, readPromptRecords, type PromptRecord } from '../data/prompts';
import { loadModelFolder, parseModelConfig, readJson, tokenizerConfigOf } from '../engine/loader';
import { rowsPerExample } from '../engine/run-plan';
import { loadRewardModel } from '../engine/reward-model';
import type { RlConfig } from '../engine/rl/config';
import type { RolloutSample } from '../engine/rl/objective';
import { rewardModelFor, rlContextFor } from '../engine/rl/context';
import type { RewardFunction } from '../engine/rl/rewards';
import { Trainer } from '../engine/trainer';
import type { TrainConfig } from '../engine/types';
import { exportRun } from '../export/run-export';
import { checkChoice, readDataFile, SHAPES, TEMPLATES } from './data-args';
import { fsSource } from './fs-source';
import { loadAdapterFolder } from './generate';
import { fitModulesToModel } from './method-args';
import { initNodeBackend } from './node-backend';
import { prepareOutDir } from './out-dir';
import { runPlanFor } from './plan';
import { backendBudget, fitSeqLen, refuseUnfitPlan } from './train-checks';
import { metricFields, metricText } from './objective-args';
import type { TrainState } from '../engine/train-state';
import { writeTrainState } from './train-run-state';

type Values = Record<string, string | boolean | string[] | undefined>;

/** Sampled answers shown per report. */
const SHOWN = 3;

/** Prompt records (`prompt` or `messages`); failing that, any shape the data studio reads with an answer (Alpaca,
 * prompt/completion, chat), whose last answer becomes the reference. The prompt reader's error stands otherwise. */
async function readPrompts(file: string, values: Values): Promise<PromptRecord[]> {
  try {
    return await readPromptRecords(basename(file), new Uint8Array(await readFile(file)));
  } catch (e) {
    const data = await readDataFile(file, checkChoice(values.format as string | undefined, SHAPES, 'format'), values.entry as string | undefined).catch(() => null);
    if (!data || data.shape === 'text' || data.shape === 'preference' || data.records.length === 0) throw e;
    return conversationPrompts(data.records);
  }
}

export async function runRlTrain(values: Values, parsed: TrainConfig & { objective: RlConfig }, opts: { valRatio: number; resume: TrainState | null }): Promise<void> {
  let cfg = parsed;
  const { valRatio, resume } = opts;
  const log = (o: object, text: string) => (values.json ? console.log(JSON.stringify(o)) : console.log(text));
  if (values['val-data'] && valRatio > 0) throw new Error('Use --val-ratio or --val-data, not both');
  for (const f of ['test-ratio', 'test-data', 'packing', 'forgetting', 'replay-share'] as const) {
    if (values[f] !== undefined && values[f] !== false) throw new Error(`--${f} is not available for --method ${cfg.objective.algorithm} (RL reports the reward of its own samples)`);
  }
  const out = await prepareOutDir(String(values.out)); // before any work: a bad --out is found now, not after training
  const backend = await initNodeBackend(String(values.backend ?? 'auto') as 'auto' | 'wasm' | 'cpu');
  const modelDir = resolve(String(values.model));
  const source = fsSource(modelDir);
  // config.json alone first: sequence length and the memory plan (k sampled answers per prompt) before any weights.
  const config = parseModelConfig(await readJson(source, 'config.json', true));
  cfg = { ...fitSeqLen(fitModulesToModel(cfg, values, config), config, values['seq-len'] !== undefined || Boolean(resume)), objective: cfg.objective }; // Llama: attention projections by default
  const budget = backendBudget(backend.backend);
  const plan = runPlanFor(config, cfg, budget.bytes);
  refuseUnfitPlan(plan, cfg, budget, rowsPerExample(cfg));
  cfg = { ...cfg, checkpointing: plan.checkpointing };
  const model = await loadModelFolder(basename(modelDir), source);
  const dataFile = String(values.data);
  const records = await readPrompts(dataFile, values);
  const chat = records.some((r) => typeof r.prompt !== 'string');
  const template = chat ? chooseTemplate(checkChoice(values.template as string | undefined, TEMPLATES, 'template'), tokenizerConfigOf(model), 'chat') : undefined;
  const all = encodePrompts(model.tokenizer, records, template);
  // Held-out prompts: a file, or the same seeded split as `train` (the studio's Data step splits the same way).
  const valFile = values['val-data'] ? String(values['val-data']) : undefined;
  const split = valFile ? { train: all, validation: encodePrompts(model.tokenizer, await readPrompts(valFile, values), template) } : splitDataset(all, { validation: valRatio }, cfg.seed);
  const prompts = split.train;
  const eos = model.tokenizer.eosId;
  let reward: RewardFunction;
  if (values['reward-model']) {
    const dir = resolve(String(values['reward-model']));
    reward = rewardModelFor(await loadRewardModel(basename(dir), fsSource(dir)), model.tokenizer);
  } else {
    reward = rlContextFor(cfg.objective, model.tokenizer).reward;
  }
  log({ event: 'data', format: chat ? 'chat' : 'prompt', records: records.length, prompts: prompts.length, validationPrompts: split.validation.length, withAnswer: all.filter((p) => p.answer !== undefined).length, reward: reward.label },
    `${records.length} prompts (${chat ? `chat, ${template!.name} template` : 'plain'}; ${prompts.length} to train, ${split.validation.length} held out), reward: ${reward.label}`);
  if (!values.json) console.log(`backend: ${backend.backend} (${backend.adapter})`);
  const initialState = values.adapter ? await loadAdapterFolder(resolve(String(values.adapter)), model.config, model.weights) : undefined;
  let latest: RolloutSample[] = [];
  let last = { tokens: 0 };
  const every = cfg.objective.sampleEvery;
  let saving = Promise.resolve();
  const trainer = new Trainer({ ...model, initialState }, prompts, split.validation, cfg, {
    onStep: (m) => {
      last = m;
      const samples = every > 0 && (m.step % every === 0 || m.step === 1) ? latest.slice(0, SHOWN).map((s) => ({
        prompt: model.tokenizer.decode(s.prompt), completion: model.tokenizer.decode(s.completion.filter((t) => t !== eos)), reward: s.reward,
      })) : undefined;
      log({ event: 'step', step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, tokensPerSec: m.tokensPerSec, ...metricFields(m.metrics), ...(samples ? { samples } : {}) },
        `step ${m.step}/${m.totalSteps}  loss ${m.loss.toFixed(4)}  |g| ${m.gradNorm.toFixed(3)}  ${metricText(m.metrics)}` +
          (samples ?? []).map((s) => `\n    [${s.reward.toFixed(2)}] ${JSON.stringify(s.prompt)} -> ${JSON.stringify(s.completion)}`).join(''));
    },
    // Validation samples answers to the held-out prompts: its loss is minus their mean reward.
    onEval: (m) => log({ event: 'eval', step: m.step, valLoss: m.valLoss, best: m.best ?? false, ...metricFields(m.metrics) },
      `eval step ${m.step}: held-out ${metricText(m.metrics)}${m.best ? ', best so far' : ''}`),
    onCheckpoint: (step) => {
      if ((cfg.checkpointEvery ?? 0) === 0 || step >= cfg.steps) return;
      const state = trainer.saveState();
      saving = saving.then(() => writeTrainState(state, out));
    },
  }, { rl: { reward, onRollout: (s) => (latest = s) } });
  if (resume) {
    trainer.restoreState(resume);
    log({ event: 'resume', from: values.resume, step: resume.meta.step, steps: cfg.steps }, `resuming ${String(values.resume)} at step ${resume.meta.step} of ${cfg.steps}`);
  }
  const result = await trainer.run();
  await saving;
  await writeTrainState(trainer.saveState(), out); // the last step, for --resume; the export below holds the kept weights
  const keptStep = trainer.restoreBest() ?? result.steps;
  const bundle = await exportRun(trainer, model, cfg, {
    steps: result.steps, firstLoss: result.firstLoss, lastLoss: result.lastLoss, trainExamples: prompts.length, tokens: last.tokens,
    backend: `${backend.backend} (${backend.adapter})`, dataFile: basename(dataFile),
  });
  for (const [name, bytes] of Object.entries(bundle.files)) await writeFile(join(out, name), bytes);
  trainer.dispose();
  log({ event: 'done', steps: result.steps, keptStep, backend: backend.backend, out }, `done: ${result.steps} steps, kept step ${keptStep}; wrote ${Object.keys(bundle.files).join(', ')} to ${out}`);
}
