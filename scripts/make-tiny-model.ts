// Writes a tiny randomly initialised model folder in Hugging Face layout (config.json, model.safetensors or shards,
// the demo model's tokenizer, generation_config.json): fixtures for end-to-end tests of loading and training.
// npx tsx scripts/make-tiny-model.ts --family llama|qwen2|mistral|gpt2 --out <dir> [--seed S] [--dtype F32|F16|BF16]
//   [--shards N] [--tied]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseModelConfig } from '../lib/engine/model-config';
import { countParams } from '../lib/engine/params';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig, type Family } from '../lib/engine/test-checkpoints';

const DEMO = path.resolve(import.meta.dirname, '../public/models/webtune-demo');
const FAMILIES: Family[] = ['llama', 'qwen2', 'mistral', 'gpt2'];

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'llama' }, out: { type: 'string' }, seed: { type: 'string', default: '0' },
    dtype: { type: 'string', default: 'F32' }, shards: { type: 'string', default: '1' }, tied: { type: 'boolean', default: false },
  },
});
const family = values.family as Family;
if (!FAMILIES.includes(family)) throw new Error(`--family must be one of ${FAMILIES.join(', ')}`);
if (!values.out) throw new Error('--out <dir> is required');
if (!['F32', 'F16', 'BF16'].includes(values.dtype!)) throw new Error('--dtype must be F32, F16 or BF16');

// The demo tokenizer (byte-level BPE, 4,096 tokens, <|endoftext|> = 4095) tokenizes real text.
const demo = JSON.parse(readFileSync(path.join(DEMO, 'config.json'), 'utf8'));
const ids = { vocab_size: demo.vocab_size, bos_token_id: demo.eos_token_id, eos_token_id: demo.eos_token_id };
const over = family === 'gpt2' ? { ...ids, n_positions: 256, n_embd: 32, n_head: 2 } : { ...ids, max_position_embeddings: 256, tie_word_embeddings: values.tied };
const raw = tinyRawConfig(family, over);
const config = parseModelConfig(raw);
const weights = tinyCheckpointWeights(config, Number(values.seed), 0.02); // HF's initializer_range
const files = checkpointFolder(raw, weights, {
  dtype: values.dtype as 'F32' | 'F16' | 'BF16',
  shards: Number(values.shards),
  tokenizer: { json: readFileSync(path.join(DEMO, 'tokenizer.json')), config: readFileSync(path.join(DEMO, 'tokenizer_config.json')) },
});
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
for (const [name, bytes] of files) writeFileSync(path.join(out, name), bytes);
console.log(`wrote a tiny random ${family} (${countParams(config).toLocaleString('en-US')} parameters) to ${out}: ${[...files.keys()].join(', ')}`);
