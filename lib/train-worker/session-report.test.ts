// The worker's end-of-run report against `cli eval` on the same model and text: the test split's loss,
// perplexity, token accuracy and exact match equal what `eval --adapter <the exported adapter> --exact-match`
// prints for the test file, and the forgetting meter's perplexities equal `eval` on the general text's windows
// (base, and with the adapter). A byte-level tokenizer makes the windows' text encode back to the same ids.
import { unzipSync } from 'fflate';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { chooseTemplate } from '../data/chat-template';
import { parseDataset } from '../data/dataset';
import { encodeConversations } from '../data/encode-chat';
import { defaultTrainConfig } from '../engine/defaults';
import { generalRows } from '../engine/forgetting';
import { loadTokenizer } from '../engine/loader';
import { parseModelConfig } from '../engine/model-config';
import { checkpointFolder, tinyCheckpointWeights, tinyRawConfig } from '../engine/test-checkpoints';
import { runEval } from '../cli/eval';
import { fsSource } from '../cli/fs-source';
import { initNodeBackend } from '../cli/node-backend';
import type { WorkerEvent } from './protocol';
import { TrainSession } from './session';

// wasm: the general text is thousands of tokens, which the plain cpu backend scores slowly.
beforeAll(async () => {
  await initNodeBackend('wasm');
});

const TRAIN = [
  { prompt: 'Q: colour? A:', completion: ' blue' },
  { prompt: 'Q: 2+3? A:', completion: ' five' },
  { prompt: 'Q: hi? A:', completion: ' hello' },
  { prompt: 'Q: sky? A:', completion: ' up' },
];
const TEST = [TRAIN[0], TRAIN[2], { prompt: 'Q: sea? A:', completion: ' wet' }];
const jsonl = (rs: object[]) => rs.map((r) => JSON.stringify(r)).join('\n');

/** What `cli eval --json` prints for these arguments. */
async function cliEval(args: string[]): Promise<Record<string, number>> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await runEval([...args, '--json', '--backend', 'wasm']);
    return JSON.parse(String(log.mock.calls.at(-1)?.[0]));
  } finally {
    log.mockRestore();
  }
}

describe('TrainSession end-of-run report', () => {
  it('equals cli eval on the exported adapter: test split metrics and the forgetting meter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-report-'));
    const raw = tinyRawConfig('gpt2', { n_positions: 128 });
    const folder = checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 7));
    mkdirSync(join(dir, 'model'));
    for (const [name, bytes] of folder) writeFileSync(join(dir, 'model', name), bytes);
    const { tokenizer, files } = await loadTokenizer(fsSource(join(dir, 'model')));
    // A window length dividing the general text, so every window is full and `eval` cuts none of them.
    const total = generalRows(tokenizer, 100_000)[0].ids.length;
    const seqLen = [...Array(128).keys()].reverse().find((d) => d >= 16 && total % d === 0);
    if (!seqLen) throw new Error(`No window length from 16 to 127 divides the general text's ${total} tokens`);

    const template = chooseTemplate('auto', JSON.parse(new TextDecoder().decode(files['tokenizer_config.json'])), 'prompt-completion');
    const encode = async (rs: object[]) => encodeConversations(tokenizer, (await parseDataset('d.jsonl', new TextEncoder().encode(jsonl(rs)), { shape: 'auto' })).records, { template, seqLen }).examples;
    const events: WorkerEvent[] = [];
    const s = new TrainSession((e) => events.push(e));
    const modelFiles = Object.fromEntries([...folder].map(([k, v]) => [k, v.slice().buffer as ArrayBuffer]));
    await s.handle({ type: 'load', model: { kind: 'files', name: 'tiny', files: modelFiles }, backend: 'wasm', allowFallbackAdapter: true });
    const base = defaultTrainConfig('lora');
    const config = { ...base, steps: 6, batchSize: 2, seqLen, lr: 0.05, warmupSteps: 0, evalEvery: 0, lora: { ...base.lora, dropout: 0 } };
    await s.handle({ type: 'start-examples', train: await encode(TRAIN), validation: [], report: true, test: await encode(TEST), instruction: true, config, truncated: 0, droppedNoLoss: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'done', steps: 6 });
    const report = events.filter((e) => e.type === 'report');
    const f = report.find((e) => e.forgetting)?.forgetting;
    const t = report.find((e) => e.test)?.test;
    if (!f || !t) throw new Error(`no report: ${JSON.stringify(events.filter((e) => e.type === 'error'))}`);

    await s.handle({ type: 'export' });
    const exported = events.find((e) => e.type === 'exported');
    if (exported?.type !== 'exported') throw new Error('no export');
    mkdirSync(join(dir, 'adapter'));
    for (const [path, bytes] of Object.entries(unzipSync(new Uint8Array(exported.bytes)))) writeFileSync(join(dir, 'adapter', basename(path)), bytes);

    writeFileSync(join(dir, 'test.jsonl'), jsonl(TEST));
    const cli = await cliEval(['--model', join(dir, 'model'), '--adapter', join(dir, 'adapter'), '--data', join(dir, 'test.jsonl'), '--seq-len', String(seqLen), '--exact-match']);
    expect(t.examples).toBe(3);
    expect(t.tokens).toBe(cli.tokens);
    expect(t.loss).toBeCloseTo(cli.loss, 5);
    expect(t.perplexity).toBeCloseTo(cli.perplexity, 4);
    expect(t.accuracy).toBe(cli.accuracy);
    expect(t.exactMatch).toBe(cli.exactMatch);

    writeFileSync(join(dir, 'general.jsonl'), jsonl(generalRows(tokenizer, seqLen).map((r) => ({ text: tokenizer.decode(r.ids) }))));
    const general = ['--model', join(dir, 'model'), '--data', join(dir, 'general.jsonl'), '--seq-len', String(seqLen)];
    const before = await cliEval(general);
    const after = await cliEval([...general, '--adapter', join(dir, 'adapter')]);
    expect(before.tokens).toBe(total - total / seqLen); // every window's targets: all tokens but its first
    expect(f.before).toBeCloseTo(before.perplexity, 3);
    expect(f.after).toBeCloseTo(after.perplexity, 3);
    expect(f.change).toBeCloseTo(after.perplexity / before.perplexity - 1, 5);
    expect(Math.abs(f.change)).toBeGreaterThan(1e-4); // training moved the weights, so the meter moved
    expect(f.replayShare).toBe(0);
  }, 60_000);

  it('Stop pressed during the scoring skips the rest of it; the run still ends done', async () => {
    const raw = tinyRawConfig('gpt2', { n_positions: 64 });
    const folder = checkpointFolder(raw, tinyCheckpointWeights(parseModelConfig(raw), 7));
    const dir = mkdtempSync(join(tmpdir(), 'webtune-report-stop-'));
    mkdirSync(join(dir, 'model'));
    for (const [name, bytes] of folder) writeFileSync(join(dir, 'model', name), bytes);
    const { tokenizer, files } = await loadTokenizer(fsSource(join(dir, 'model')));
    const template = chooseTemplate('auto', JSON.parse(new TextDecoder().decode(files['tokenizer_config.json'])), 'prompt-completion');
    const encode = async (rs: object[]) => encodeConversations(tokenizer, (await parseDataset('d.jsonl', new TextEncoder().encode(jsonl(rs)), { shape: 'auto' })).records, { template, seqLen: 32 }).examples;
    const events: WorkerEvent[] = [];
    let s: TrainSession | null = null;
    s = new TrainSession((e) => {
      events.push(e);
      // The page's Stop button ("Skip scoring") while the forgetting meter is being scored.
      if (e.type === 'report' && e.evaluating?.startsWith('general text')) void s!.handle({ type: 'stop' });
    });
    await s.handle({ type: 'load', model: { kind: 'files', name: 'tiny', files: Object.fromEntries([...folder].map(([k, v]) => [k, v.slice().buffer as ArrayBuffer])) }, backend: 'wasm', allowFallbackAdapter: true });
    const base = defaultTrainConfig('lora');
    const config = { ...base, steps: 2, batchSize: 2, seqLen: 32, warmupSteps: 0, evalEvery: 0, lora: { ...base.lora, dropout: 0 } };
    await s.handle({ type: 'start-examples', train: await encode(TRAIN), validation: [], report: true, test: await encode(TEST), instruction: true, config, truncated: 0, droppedNoLoss: 0 });
    const report = events.filter((e) => e.type === 'report');
    expect(report.some((e) => e.test)).toBe(false); // the test split was never scored
    expect(report.at(-1)?.error).toMatch(/^Scoring stopped: Stop was pressed after training ended/);
    expect(events.at(-1)).toMatchObject({ type: 'done', steps: 2, stopped: false });
  }, 60_000);
});
