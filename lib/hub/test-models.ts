// Test helper: tiny Hub model folders (single-file and sharded safetensors, pickle-only) built from the
// engine's tiny GPT-2 fixtures, for the Hub client tests and the e2e spec.
import { tinyConfig, tinyFolder, tinyWeights } from '../engine/test-fixtures';
import { writeSafetensors } from '../engine/safetensors';
import type { Gpt2Config } from '../engine/types';

const json = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

/** A complete tiny GPT-2 folder as the Hub serves it, plus the optional files. */
export function tinyHubModel(over: Partial<Gpt2Config> = {}): Map<string, Uint8Array> {
  const config = tinyConfig(over);
  const files = tinyFolder(config, tinyWeights(config), { prefix: true });
  files.set('generation_config.json', json({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id }));
  return files;
}

/** The same model with its weights split into two shards and a model.safetensors.index.json. */
export function tinyShardedModel(over: Partial<Gpt2Config> = {}): Map<string, Uint8Array> {
  const config = tinyConfig(over);
  const files = tinyFolder(config, tinyWeights(config));
  files.delete('model.safetensors');
  const names = Object.keys(tinyWeights(config));
  const half = Math.ceil(names.length / 2);
  const weightMap: Record<string, string> = {};
  const shards = [names.slice(0, half), names.slice(half)].map((keys, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const all = tinyWeights(config);
    keys.forEach((k) => (weightMap[k] = file));
    return [file, writeSafetensors(Object.fromEntries(keys.map((k) => [k, all[k]])), { metadata: { format: 'pt' } })] as const;
  });
  for (const [file, bytes] of shards) files.set(file, bytes);
  files.set('model.safetensors.index.json', json({ metadata: { total_size: 0 }, weight_map: weightMap }));
  return files;
}

/** A repository with only a pickle checkpoint. */
export function pickleOnlyModel(): Map<string, Uint8Array> {
  const files = tinyHubModel();
  const weights = files.get('model.safetensors')!;
  files.delete('model.safetensors');
  files.set('pytorch_model.bin', weights);
  return files;
}
