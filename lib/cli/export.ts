// `cli export`: writes any export kind from a model folder, optionally with a PEFT adapter (folder or zip) on top:
// the PEFT adapter, the merged model folder, GGUF (model or LoRA) with an Ollama Modelfile, or a hand-off bundle
// (TRL, Axolotl, LLaMA-Factory) with --data cleaned and split as the studio does. The studio writes the same files.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chooseTemplate } from '../data/chat-template';
import { cleanRecords } from '../data/clean';
import { splitDataset } from '../data/split3';
import { defaultTrainConfig } from '../engine/defaults';
import { loadModelFolder, tokenizerConfigOf } from '../engine/loader';
import { loraFromPeft } from '../engine/peft/lora';
import { methodForPeftType } from '../engine/peft/methods';
import type { PeftFiles } from '../engine/peft/types';
import type { TrainConfig } from '../engine/types';
import { zipBundle } from '../export/bundle';
import { buildExport, EXPORT_DTYPES, EXPORT_KINDS, type ExportKind } from '../export/exports';
import { importAdapter, readAdapterFolder, readAdapterZip } from '../export/import-adapter';
import type { RunFacts } from '../export/model-card';
import { exportFolderName, runSummary } from '../export/run-export';
import { applyMethodFlags, fitModulesToModel, methodOptions } from './method-args';
import { objectiveOptions, parseObjective } from './objective-args';
import { checkChoice, readDataFile, SHAPES, TEMPLATES } from './data-args';
import { fsSource } from './fs-source';
import { initNodeBackend } from './node-backend';
import { flagNumber } from './flags';

export const EXPORT_USAGE = `export --model <dir> [--adapter <dir|zip>] [--data <file>] --to ${EXPORT_KINDS.join('|')}
      [--dtype ${EXPORT_DTYPES.join('|')}] --out <path> [--json]
      --out names a folder, or a .zip to write one. --dtype: merged f32|f16|bf16 (default f32); gguf and gguf-lora
      f32|f16|bf16|q8_0 (default f16). The adapter's own settings carry into hand-off configs; without one, the
      hand-off uses the studio defaults and the method flags of \`train\` (--method, --steps, --batch, --seq-len,
      --lr, --lora-r, ...); a preference run's hand-off takes train's --method dpo|ipo|simpo|orpo|kto|reward
      [--base-method ...] and its objective flags (--beta, --loss-type, ...). Hand-off data is cleaned (normalised, empty and duplicate records removed) and split
      with --val-ratio F (default 0.1) and --seed; --base-model <hub id> names the model the target downloads.`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, adapter: { type: 'string' }, data: { type: 'string' }, to: { type: 'string' }, dtype: { type: 'string' },
      out: { type: 'string' }, json: { type: 'boolean', default: false }, 'base-model': { type: 'string' },
      method: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' },
      seed: { type: 'string' }, 'val-ratio': { type: 'string' }, format: { type: 'string' }, template: { type: 'string' }, entry: { type: 'string' },
      packing: { type: 'boolean', default: false }, ...methodOptions(), ...objectiveOptions(),
    },
    strict: true,
  });
  for (const req of ['model', 'to', 'out'] as const) if (!values[req]) throw new Error(`--${req} is required\n\n${EXPORT_USAGE}`);
  const to = checkChoice(values.to, EXPORT_KINDS, 'to');
  const dtype = values.dtype === undefined ? undefined : checkChoice(values.dtype, EXPORT_DTYPES, 'dtype');
  return { values, to, dtype };
}

const num = (v: string | undefined, flag: string, fallback: number) => {
  if (v === undefined) return fallback;
  const x = flagNumber(v);
  if (!Number.isFinite(x) || x < 0) throw new Error(`--${flag} must be a non-negative number, got "${v}"`);
  return x;
};

async function readAdapter(path: string): Promise<PeftFiles> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new Error(`--adapter ${path} does not exist`);
  if (s.isDirectory()) return readAdapterFolder(fsSource(path), path);
  return readAdapterZip(new Uint8Array(await readFile(path)), path);
}

/** The run's settings: defaults and flags, with an imported LoRA adapter's own r / alpha / targets / layers. */
function trainConfig(values: ReturnType<typeof parse>['values'], adapter: PeftFiles | null, model: Parameters<typeof fitModulesToModel>[2]): TrainConfig {
  const chosen = parseObjective(values); // a PEFT method, or a preference method with --base-method and its flags
  const method = adapter ? methodForPeftType(adapter.config.peft_type).id : chosen.method;
  const base = defaultTrainConfig(method);
  let cfg: TrainConfig = applyMethodFlags({
    ...base, steps: num(values.steps, 'steps', base.steps), batchSize: num(values.batch, 'batch', base.batchSize),
    seqLen: num(values['seq-len'], 'seq-len', base.seqLen), lr: num(values.lr, 'lr', base.lr), seed: num(values.seed, 'seed', base.seed),
    ...(values.packing ? { packing: true } : {}), ...(chosen.objective ? { objective: chosen.objective } : {}),
  }, values);
  cfg = fitModulesToModel(cfg, values, model);
  if (adapter && method === 'lora') {
    const l = loraFromPeft(adapter.config, adapter.tensors, model);
    cfg = { ...cfg, lora: { ...l.config } };
    l.modules.forEach((m) => [m.A, m.B].forEach((v) => v.dispose()));
  }
  return cfg;
}

async function writeOut(out: string, bundle: { name: string; files: Record<string, Uint8Array> }): Promise<string[]> {
  if (out.endsWith('.zip')) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, zipBundle(bundle));
    return [out];
  }
  const written: string[] = [];
  for (const [name, bytes] of Object.entries(bundle.files)) {
    const file = join(out, name);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}

export async function runExport(argv: string[]): Promise<void> {
  const { values, to, dtype } = parse(argv);
  await initNodeBackend();
  const modelDir = resolve(values.model!);
  const model = await loadModelFolder(basename(modelDir), fsSource(modelDir));
  const adapter = values.adapter ? await readAdapter(resolve(values.adapter)) : null;
  const adapterBase = typeof adapter?.config.base_model_name_or_path === 'string' ? adapter.config.base_model_name_or_path : undefined;
  const hubName = values['base-model'] ?? adapterBase ?? (typeof model.config._name_or_path === 'string' ? model.config._name_or_path : undefined) ?? model.name;
  const named = { ...model, name: hubName };
  const state = adapter ? importAdapter(adapter, named) : undefined;
  const cfg = trainConfig(values, adapter, model.config);
  let facts: Partial<RunFacts> = {};
  let handoff;
  if (values.data) {
    const bytes = await readFile(resolve(values.data));
    const ds = await readDataFile(resolve(values.data), checkChoice(values.format, SHAPES, 'format'), values.entry);
    const cleaned = cleanRecords(ds.records).records;
    const { train, validation } = splitDataset(cleaned, { validation: num(values['val-ratio'], 'val-ratio', 0.1) }, cfg.seed);
    const template = chooseTemplate(checkChoice(values.template, TEMPLATES, 'template'), tokenizerConfigOf(model), ds.shape).name;
    facts = { dataFile: basename(values.data), trainExamples: train.length, dataFingerprint: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
    handoff = { train, validation, config: cfg, template };
  }
  const summary = runSummary(named, cfg, facts);
  // The model as it is keeps its own name (so a LoRA GGUF's Modelfile finds the base GGUF); a merge is "-merged".
  const own = (hubName.split('/').filter(Boolean).pop() ?? 'model').replace(/[^A-Za-z0-9._-]+/g, '-');
  const merging = to === 'merged' || to === 'gguf';
  const folder = merging ? (state ? `${own}-merged` : own) : exportFolderName(hubName, cfg.method);
  const bundle = await buildExport(to as ExportKind, dtype, { model: named, state, summary, folder, handoff });
  const written = await writeOut(resolve(values.out!), bundle);
  state?.dispose();
  model.weights.forEach((t) => t.dispose());
  if (values.json) console.log(JSON.stringify({ event: 'exported', to, dtype: dtype ?? null, out: resolve(values.out!), files: Object.keys(bundle.files) }));
  else console.log(`wrote ${to} export to ${resolve(values.out!)}: ${written.length === 1 ? basename(written[0]) : Object.keys(bundle.files).join(', ')}`);
}
