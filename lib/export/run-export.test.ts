// Download folder names: a Hub id's owner and any path characters never reach the zip's folder or file name.
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../engine/loader';
import { parseModelConfig } from '../engine/model-config';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { mapSource } from '../engine/test-fixtures';
import { randomExamples, tinyTrainConfig, useCpu } from '../engine/test-utils';
import { fingerprintExamples } from '../engine/train-state';
import { Trainer } from '../engine/trainer';
import { exportFolderName, exportRun } from './run-export';

describe('exportFolderName', () => {
  it.each([
    ['webtune-demo', 'lora', 'webtune-demo-lora'],
    ['HuggingFaceTB/SmolLM2-135M-Instruct', 'lora', 'SmolLM2-135M-Instruct-lora'],
    ['Qwen/Qwen2.5-0.5B', 'full', 'Qwen2.5-0.5B-finetuned'],
    ['my model: v2?', 'full', 'my-model-v2-finetuned'],
    ['../../etc', 'lora', 'etc-lora'],
    ['/', 'lora', 'model-lora'],
  ] as const)('%s (%s) -> %s', (name, method, want) => {
    expect(exportFolderName(name, method)).toBe(want);
  });
});

// The worker's path: a trained run's Trainer to each studio export kind.
describe('exportRun with a kind (the studio worker)', () => {
  it('a LoRA run downloads as its adapter, merged model, GGUF and GGUF LoRA', async () => {
    await useCpu();
    const raw = tinyRawConfig('llama');
    const model = await loadModelFolder('org/tiny', mapSource(checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 1))));
    const cfg = tinyTrainConfig({ steps: 2, seqLen: 8, lora: { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false } });
    const rows = randomExamples(4, 8, 259, 1);
    const trainer = new Trainer(model, rows, [], cfg);
    await trainer.run();
    const facts = { steps: 2, firstLoss: 5, lastLoss: 4, trainExamples: 4, tokens: 64, backend: 'cpu', dataFile: 'x' };
    const names = async (kind?: 'merged' | 'gguf' | 'gguf-lora', dtype?: 'q8_0' | 'f16') => {
      const b = await exportRun(trainer, model, cfg, facts, kind, dtype);
      return { name: b.name, files: Object.keys(b.files).sort() };
    };
    expect(await names()).toEqual({ name: 'tiny-lora', files: ['README.md', 'adapter_config.json', 'adapter_model.safetensors'] });
    // The card's data fingerprint is the training rows' print, the one a stored run records and a resume checks.
    const card = new TextDecoder().decode((await exportRun(trainer, model, cfg, facts)).files['README.md']);
    expect(card).toContain(`| data fingerprint | rows:${fingerprintExamples(rows)} |`);
    expect(fingerprintExamples(rows)).not.toBe(fingerprintExamples(randomExamples(4, 8, 259, 2)));
    expect((await names('merged')).files).toContain('model.safetensors');
    expect(await names('gguf', 'q8_0')).toEqual({ name: 'tiny-merged', files: ['Modelfile', 'README.md', 'tiny-merged-Q8_0.gguf'] });
    expect(await names('gguf-lora', 'f16')).toEqual({ name: 'tiny-lora', files: ['Modelfile', 'README.md', 'tiny-lora-F16.gguf'] });
    trainer.dispose();
    model.weights.forEach((t) => t.dispose());
  });
});
