// The pure description of a PEFT method (no tfjs, safe for the UI bundle): id, one-line trade-off, settings with
// defaults and help, where its settings live in a TrainConfig, and its trainable-parameter count for the planner.
import type { z } from 'zod';
import type { ModelConfig, TrainConfig } from '../types';
import { fieldsSchema, type MethodField } from './fields';

export interface MethodSpec<Id extends string = string, C = unknown> {
  id: Id;
  label: string;
  /** One line: what it trains and what that costs in memory, speed and quality. */
  help: string;
  /** What Export downloads: a PEFT adapter folder, or the whole model folder. */
  exports: 'adapter' | 'model';
  /** Whether Export can also write the whole model (merged model, GGUF): an adapter that folds into the base
   * weights, or a method that trains the model's own weights. Prompt, prefix and bottleneck adapters add modules. */
  merges: boolean;
  /** Why the method needs float32 base weights although it trains an adapter (its forward reads the frozen weights
   * themselves, not only their product): a model loaded with packed linears cannot run it. */
  needsFloatBase?: string;
  /** For adapter files PEFT cannot load (no such PEFT type): the model card's sentence on how to use them. */
  notPeft?: string;
  /** Download folder suffix (`<model>-<suffix>`) and the model card's tag. */
  folderSuffix: string;
  cardTag: string;
  /** The memory planner's calibrated activation profile that applies: base frozen ('lora') or all trained. */
  memoryProfile: 'lora' | 'full';
  /** Optimizer settings that suit the method; the rest of TrainConfig is shared. */
  optimizer: { lr: number; weightDecay: number };
  fields: Record<string, MethodField>;
  /** parse() fills defaults; strictSchema requires every field (the worker's check of a run). Both are built
   * from `fields`, typed as the method's config. */
  schema: z.ZodType<C>;
  strictSchema: z.ZodType<C>;
  /** The method's settings inside a TrainConfig. */
  configOf(train: TrainConfig): C;
  /** `train` with the method's settings replaced (validated, defaults filled). */
  withConfig(train: TrainConfig, c: Partial<C>): TrainConfig;
  /** Trainable parameters for this model and these settings, from the config alone. */
  trainableParams(model: ModelConfig, train: TrainConfig): number;
  /** What the method adds to a training step's activations, for the memory planner. */
  planShape(model: ModelConfig, train: TrainConfig): PlanShape;
}

/** What a method adds to the frozen model's forward pass, in the terms the memory planner has measured
 * coefficients for (memory-plan.ts ADAPTER_FLOATS turns it into bytes). */
export interface PlanShape {
  kind: 'lora' | 'dora' | 'ia3' | 'bottleneck' | 'none';
  /** The adapted linear layers: block index and widths; `input` for IA3's feed-forward layers (input scaled). */
  modules: { layer: number; fanIn: number; fanOut: number; input?: boolean }[];
  /** Bottleneck adapters: the bottleneck width and adapters per block. */
  bottleneck?: { size: number; sites: number };
  /** Prompt tuning: positions put in front of every input. */
  virtualInputs?: number;
  /** Prefix tuning: key/value slots every layer attends to. */
  virtualKeys?: number;
  /** Activations that do not grow with batch or length (prefix tuning's reparametrisation MLP), in floats. */
  fixedFloats?: number;
}

/** Why `spec` cannot run on a model loaded with packed (f16/int8) block linears, or null when it can. */
export function packedBaseRefusal(spec: Pick<MethodSpec, 'label' | 'exports' | 'needsFloatBase'>): string | null {
  if (spec.exports === 'model') return `${spec.label} trains the base weights, which are loaded packed (f16/int8) and frozen: load the model in float32 to use it`;
  if (spec.needsFloatBase) return `${spec.label} needs the base weights in float32 (${spec.needsFloatBase}): load the model in float32 to use it`;
  return null;
}

export const NO_PLAN_SHAPE: PlanShape = { kind: 'none', modules: [] };

export interface SpecDef<Id extends string, C> extends Omit<MethodSpec<Id, C>, 'schema' | 'strictSchema' | 'withConfig' | 'trainableParams' | 'planShape'> {
  /** `train` with `c` (complete, checked) as the method's settings. */
  store(train: TrainConfig, c: C): TrainConfig;
  count(model: ModelConfig, c: C): number;
  /** The planner's view of the method; none (only the trained weights count) when absent. */
  shape?(model: ModelConfig, c: C): PlanShape;
}

/** Builds a MethodSpec from its declaration: the schemas come from the fields. */
export function defineSpec<Id extends string, C>(def: SpecDef<Id, C>): MethodSpec<Id, C> {
  const { store, count, shape, ...rest } = def;
  const schema = fieldsSchema(def.fields, true) as unknown as z.ZodType<C>;
  return {
    ...rest,
    schema,
    strictSchema: fieldsSchema(def.fields, false) as unknown as z.ZodType<C>,
    withConfig: (train, c) => store(train, schema.parse(c)),
    trainableParams: (model, train) => count(model, def.configOf(train)),
    planShape: (model, train) => (shape ? shape(model, def.configOf(train)) : NO_PLAN_SHAPE),
  };
}

/** configOf and store for a method whose settings live in TrainConfig.methodConfig[id], with defaults filled:
 * what every method but LoRA uses, so a new method needs no new TrainConfig field. */
export function methodConfigSlot<C>(id: string, fields: Record<string, MethodField>): Pick<SpecDef<string, C>, 'configOf' | 'store'> {
  const schema = fieldsSchema(fields, true);
  return {
    configOf: (train) => schema.parse(train.methodConfig?.[id] ?? {}) as C,
    store: (train, c): TrainConfig => ({ ...train, methodConfig: { ...train.methodConfig, [id]: c as Record<string, unknown> } }),
  };
}
