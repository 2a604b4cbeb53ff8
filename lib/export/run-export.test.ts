// Download folder names: a Hub id's owner and any path characters never reach the zip's folder or file name.
import { describe, expect, it } from 'vitest';
import { exportFolderName } from './run-export';

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
