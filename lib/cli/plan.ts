// `cli plan`: the memory plan for a model given only its Hugging Face config.json (no weights), a method, batch and
// sequence length: the same numbers the studio's Method step shows.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { autoCheckpointing, DEFAULT_BUDGET_GIB, formatBytes, planMemory, planModelFor, type MemoryPlan, type PlanRequest, type WeightFormat } from '../engine/memory-plan';
import { METHOD_IDS, methodSpec } from '../engine/peft/registry';
import type { ModelConfig, TrainConfig } from '../engine/types';
import { parseModelConfig } from '../engine/model-config';
import { loraTargetPresets } from '../engine/params';
import { loraSpec } from '../engine/peft/lora/config';
import { applyMethodFlags, checkMethod, fitModulesToModel, methodOptions } from './method-args';
import { defaultTrainConfig } from '../engine/defaults';
import { planRequestFor } from '../engine/run-plan';
import { flagNumber } from './flags';

export const PLAN_USAGE = `plan --config <config.json | model dir> [--method ${METHOD_IDS.join('|')}] [--batch B] [--seq-len T]
      [the method's flags, as in train: --lora-r R --lora-targets q_proj,v_proj,... --ia3-targets ... --freeze-top-layers K] [--checkpointing | --no-checkpointing] [--weights f32|f16|int8] [--backend wasm|webgpu] [--budget-gib G] [--json]
      Memory of a training run before any weights are fetched. Gradient checkpointing is on only when the plan does
      not fit the budget otherwise (default budget ${DEFAULT_BUDGET_GIB} GiB), unless a flag says; --weights is how the frozen base
      weights of a LoRA run are stored; --backend webgpu plans a run on the studio's WebGPU path, whose fused attention
      keeps no [batch, heads, T, T] scores.`;

/** The most tfjs's WebAssembly backend can hold: its heap stops at 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/** The plan of a training run as `train` will start it; checkpointing decided here when the config leaves it unset. */
export function runPlanFor(config: ModelConfig, cfg: TrainConfig, budgetBytes: number, weights: WeightFormat = 'f32'): MemoryPlan {
  const model = planModelFor(config);
  const limits = { budgetBytes };
  const req = planRequestFor(config, cfg, weights);
  req.checkpointing = cfg.checkpointing ?? autoCheckpointing(model, req, limits);
  return planMemory(model, req, limits);
}

function positive(v: string | undefined, name: string, fallback: number, int = true): number {
  if (v === undefined) return fallback;
  const x = flagNumber(v);
  if (!Number.isFinite(x) || x <= 0 || (int && !Number.isInteger(x))) throw new Error(`--${name} must be a positive ${int ? 'integer' : 'number'}, got "${v}"`);
  return x;
}

async function readConfig(path: string): Promise<Record<string, unknown>> {
  const p = resolve(path);
  const file = (await stat(p).catch(() => null))?.isDirectory() ? join(p, 'config.json') : p;
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`Cannot read ${file}: --config takes a config.json or a folder holding one`);
  });
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' }, method: { type: 'string', default: 'lora' }, batch: { type: 'string' }, 'seq-len': { type: 'string' },
      ...methodOptions(), checkpointing: { type: 'boolean' }, 'no-checkpointing': { type: 'boolean' },
      weights: { type: 'string', default: 'f32' }, backend: { type: 'string', default: 'wasm' }, 'budget-gib': { type: 'string' }, json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.config) throw new Error(`--config is required\n\n${PLAN_USAGE}`);
  checkMethod(values.method);
  if (!['f32', 'f16', 'int8'].includes(values.weights!)) throw new Error(`--weights must be f32, f16 or int8, got "${values.weights}"`);
  if (!['wasm', 'webgpu'].includes(values.backend!)) throw new Error(`--backend must be wasm or webgpu (the studio's WebGPU runs keep no attention scores), got "${values.backend}"`);
  if (values.checkpointing && values['no-checkpointing']) throw new Error('Use --checkpointing or --no-checkpointing, not both');
  return values;
}

export async function runPlan(argv: string[]): Promise<void> {
  const v = parse(argv);
  const config = parseModelConfig(await readConfig(v.config!));
  const method = checkMethod(v.method);
  const spec = methodSpec(method);
  const base = defaultTrainConfig(method);
  // Without --lora-targets the plan assumes the family's attention projections (LoRA and DoRA read cfg.lora).
  const start = { ...base, lora: { ...base.lora, targetModules: loraTargetPresets(config).presets.attention } };
  const cfg = fitModulesToModel(applyMethodFlags(start, v), v, config);
  const trainableParams = spec.trainableParams(config, cfg);
  if (trainableParams === 0) throw new Error(`The ${spec.label} settings train nothing in this model (check the target modules: it has ${loraTargetPresets(config).all.join(', ')})`);
  // Packed frozen weights are LoRA's alone (DoRA and IA3 read the float32 base weights in their forward).
  if (v.weights !== 'f32' && method !== 'lora') throw new Error(`--weights ${v.weights} applies to LoRA only; ${spec.label} keeps float32 weights`);
  const lora = loraSpec.trainableParams(config, method === 'lora' ? cfg : start); // for the planner's "LoRA instead" suggestion
  const limits = { budgetBytes: positive(v['budget-gib'], 'budget-gib', DEFAULT_BUDGET_GIB, false) * 1024 ** 3 };
  const model = planModelFor(config);
  const req: PlanRequest = {
    ...planRequestFor(config, { ...cfg, batchSize: positive(v.batch, 'batch', base.batchSize), seqLen: positive(v['seq-len'], 'seq-len', base.seqLen) }, 'f32', v.backend),
    weightFormat: v.weights as WeightFormat,
  };
  req.checkpointing = v.checkpointing ? true : v['no-checkpointing'] ? false : autoCheckpointing(model, req, limits);
  const p = planMemory(model, req, limits, lora);
  const out = {
    totalBytes: p.total, weights: p.weights, gradients: p.gradients, optimizer: p.optimizer, activations: p.activations, fits: p.fits,
    checkpointing: p.checkpointing, trainableParams: req.trainableParams, budgetBytes: limits.budgetBytes, problems: p.problems,
    suggestions: p.suggestions.map((s) => ({ label: s.label, totalBytes: s.total })),
  };
  if (v.json) return console.log(JSON.stringify(out));
  console.log(`${String(config.model_type)} ${method}, batch ${req.batchSize} x ${req.seqLen}, checkpointing ${p.checkpointing ? 'on' : 'off'}, ` +
    `${req.trainableParams.toLocaleString('en-US')} trainable parameters`);
  for (const k of ['weights', 'gradients', 'optimizer', 'activations'] as const) console.log(`  ${k.padEnd(12)} ${formatBytes(p[k])}`);
  console.log(`  ${'total'.padEnd(12)} ${formatBytes(p.total)} of a ${formatBytes(limits.budgetBytes)} budget: ${p.fits ? 'fits' : 'does not fit'}`);
  for (const pr of p.problems) console.log(`  ${pr}`);
  for (const s of p.suggestions) console.log(`  would fit: ${s.label} (${formatBytes(s.total)})`);
}
