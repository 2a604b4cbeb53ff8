// The method registry's tfjs half: every method's implementation by id (the specs alone are in registry.ts, for
// code that must not load tfjs). The trainer, the worker session, export and the CLI look methods up here.
import { bottleneck } from './bottleneck';
import { dora } from './dora';
import { freeze } from './freeze';
import { full } from './full';
import { ia3 } from './ia3';
import { lora } from './lora';
import type { PeftMethod } from './method';
import { prefix } from './prefix';
import { prompt } from './prompt';
import { METHOD_IDS, methodSpec, type MethodId } from './registry';

const METHODS = { lora, dora, ia3, adapter: bottleneck, prefix, prompt, freeze, full } satisfies { [K in MethodId]: PeftMethod<K> };

/** The implementation of method `id`; throws on an unknown id. */
export function peftMethod(id: string): PeftMethod<MethodId> {
  methodSpec(id); // the clear error for unknown ids
  return METHODS[id as MethodId];
}

/** The method that reads an adapter_config.json of this peft_type (and, where methods share one, these fields),
 * or a clear refusal. */
export function methodForPeftType(peftType: unknown, config: Record<string, unknown> = {}): PeftMethod<MethodId> {
  const m = METHOD_IDS.map((id) => METHODS[id] as PeftMethod<MethodId>).find((x) => x.peftTypes.includes(String(peftType)) && (x.accepts?.(config) ?? true));
  if (!m?.load) throw new Error(`Adapters of peft_type "${String(peftType)}" are not supported (this studio loads ${METHOD_IDS.flatMap((id) => METHODS[id].peftTypes).join(', ')})`);
  return m;
}
