// The method registry's pure half, as peft's PEFT_TYPE_TO_CONFIG_MAPPING: every method's spec by id. The UI, the
// protocol, the CLI and the memory planner read this; the tfjs half (create, forward, files) is methods.ts.
import { bottleneckSpec } from './bottleneck/config';
import { doraSpec } from './dora/config';
import { freezeSpec } from './freeze/config';
import { fullSpec } from './full/config';
import { ia3Spec } from './ia3/config';
import { loraSpec } from './lora/config';
import { prefixSpec } from './prefix/config';
import { promptSpec } from './prompt/config';
import type { MethodSpec } from './spec';

/** Every method, in the order the studio offers them. Adding a method: its folder, a line here, one in methods.ts. */
export const METHOD_SPECS = [loraSpec, doraSpec, ia3Spec, bottleneckSpec, prefixSpec, promptSpec, freezeSpec, fullSpec] as const;

export type MethodId = (typeof METHOD_SPECS)[number]['id'];
export const METHOD_IDS = METHOD_SPECS.map((s) => s.id) as [MethodId, ...MethodId[]];

export function isMethodId(id: string): id is MethodId {
  return (METHOD_IDS as string[]).includes(id);
}

/** The spec of `id`; throws on an unknown id (a config from somewhere else). */
export function methodSpec(id: string): MethodSpec<MethodId> {
  const s = METHOD_SPECS.find((m) => m.id === id);
  if (!s) throw new Error(`Unknown method "${id}" (known: ${METHOD_IDS.join(', ')})`);
  return s as MethodSpec<MethodId>;
}
