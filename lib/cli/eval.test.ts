// `cli eval` against PyTorch: the loss, token count and accuracy it prints for a data file (base model, and through
// a PEFT LoRA adapter) equal scripts/parity_ref.py's float64 computation over the same records and loss masks.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseTemplate } from '../data/chat-template';
import { parseDataset } from '../data/dataset';
import { encodeConversations } from '../data/encode-chat';
import { loadTokenizer } from '../engine/loader';
import { parseModelConfig } from '../engine/model-config';
import { loraTargetPresets } from '../engine/params';
import { createLora, disposeLora, loraToPeft } from '../engine/peft/lora';
import { mulberry32, normalArray } from '../engine/random';
import { writeSafetensors } from '../engine/safetensors';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig, type Family } from '../engine/test-checkpoints';
import { torchReferences } from '../engine/test-torch-ref';
import { useCpu } from '../engine/test-utils';
import { fsSource } from './fs-source';
import { root, runCli, runCliOk } from './test-cli';


beforeAll(useCpu);

function writeFolder(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

const RECORDS = [
  { prompt: 'colour? ', completion: 'Blue.' },
  { prompt: '2+3=', completion: 'The sum is 5.' },
  { prompt: 'Hi', completion: ' there, friend' },
];

/** PyTorch's loss over all records (right-padded with mask 0, which a causal model never attends to) and its argmax
 * accuracy, for the model alone or through each adapter given (null: none), in one Python process. */
function torchReference(modelDir: string, adapterDirs: (string | null)[], examples: { ids: number[]; mask: number[] }[]) {
  const T = Math.max(...examples.map((e) => e.ids.length));
  const tokens = examples.map((e) => [...e.ids, ...Array(T - e.ids.length).fill(0)]);
  const mask = examples.map((e) => [...e.mask, ...Array(T - e.mask.length).fill(0)]);
  const specs = adapterDirs.map((a) => ({ model_dir: modelDir, ...(a ? { adapter_dir: a } : {}), tokens, mask }));
  return torchReferences<{ logits: number[]; loss: number }>(join(root, 'scripts/parity_ref.py'), specs).map((ref) => scored(ref, tokens, mask));
}

function scored(ref: { logits: number[]; loss: number }, tokens: number[][], mask: number[][]) {
  const T = tokens[0].length;
  const V = ref.logits.length / (tokens.length * T);
  let hits = 0;
  let n = 0;
  tokens.forEach((row, b) => {
    for (let t = 1; t < T; t++) {
      if (!mask[b][t]) continue;
      n++;
      const base = (b * T + t - 1) * V;
      let best = 0;
      for (let v = 1; v < V; v++) if (ref.logits[base + v] > ref.logits[base + best]) best = v;
      if (best === row[t]) hits++;
    }
  });
  return { loss: ref.loss as number, tokens: n, accuracy: hits / n };
}

async function writeAdapter(dir: string, raw: Record<string, unknown>): Promise<void> {
  const config = parseModelConfig(raw);
  const state = createLora(config, { r: 2, alpha: 4, dropout: 0, targetModules: loraTargetPresets(config).presets['all-linear'], useRslora: false }, 3);
  const rng = mulberry32(4);
  for (const m of state.modules.values()) m.B.assign(tf.tensor(normalArray(m.B.size, 0.3, rng), m.B.shape));
  const peft = await loraToPeft(state, { baseModel: 'tiny' });
  disposeLora(state);
  writeFolder(dir, new Map([
    ['adapter_config.json', new TextEncoder().encode(JSON.stringify(peft.config))],
    ['adapter_model.safetensors', writeSafetensors(peft.tensors, { metadata: { format: 'pt' } })],
  ]));
}

describe('cli eval', () => {
  it.each<Family>(['gpt2', 'llama'])('%s: loss, tokens and accuracy equal PyTorch, base and with a LoRA adapter', async (family) => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-eval-'));
    const raw = tinyRawConfig(family);
    writeFolder(join(dir, 'model'), checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 7)));
    await writeAdapter(join(dir, 'adapter'), raw);
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, RECORDS.map((r) => JSON.stringify(r)).join('\n'));
    // The masks training uses: the same parse, template and encoding as `cli train`.
    const { tokenizer, files } = await loadTokenizer(fsSource(join(dir, 'model')));
    const parsed = await parseDataset('data.jsonl', new TextEncoder().encode(RECORDS.map((r) => JSON.stringify(r)).join('\n')), { shape: 'auto' });
    const tokCfg = JSON.parse(new TextDecoder().decode(files['tokenizer_config.json']));
    const enc = encodeConversations(tokenizer, parsed.records, { template: chooseTemplate('auto', tokCfg, parsed.shape), seqLen: 32 });
    expect(enc.examples).toHaveLength(3);

    const adapters = [null, join(dir, 'adapter')];
    const refs = torchReference(join(dir, 'model'), adapters, enc.examples);
    for (const [i, adapter] of adapters.entries()) {
      const stdout = await runCliOk(['eval', '--model', join(dir, 'model'), '--data', data, '--seq-len', '32', '--json', ...(adapter ? ['--adapter', adapter] : [])]);
      const got = JSON.parse(stdout.trim());
      const ref = refs[i];
      expect(got.tokens).toBe(ref.tokens);
      expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
      expect(got.perplexity).toBeCloseTo(Math.exp(got.loss), 4);
      expect(got.accuracy).toBeCloseTo(ref.accuracy, 10);
    }
  }, 120_000);

  it('names a missing flag', async () => {
    const r = await runCli(['eval', '--model', '/nope', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ event: 'error', message: expect.stringContaining('--data') });
  });
});
