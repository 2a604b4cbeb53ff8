// The command line against the mistakes a new user makes: a bad --out, absurd sizes, a diverging learning rate, a
// closed pipe, broken JSON files, a missing folder. Each is refused (or ends) with a located message, before work.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { prepareOutDir } from './out-dir';
import { HfTokenizer } from '../engine/tokenizer';
import { readSafetensors } from '../engine/safetensors';
import { tinyConfig, tinyFolder, tinyWeights } from '../engine/test-fixtures';
import { events, MAIN as main, root, runCli as cli, TSX as tsx, tinyModelDir } from './test-cli';

const run = promisify(execFile);

function setup(): { dir: string; model: string; data: string } {
  const { dir, model } = tinyModelDir('webtune-robust-');
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `the cat ${i} sat on the mat` })).join('\n'));
  return { dir, model, data };
}

describe('prepareOutDir', () => {
  it('creates missing levels and returns the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-out-'));
    const out = await prepareOutDir(join(dir, 'a', 'b'));
    expect(statSync(out).isDirectory()).toBe(true);
  });

  it('refuses /proc/x at once (Node\'s recursive mkdir never returns there)', async () => {
    await expect(prepareOutDir('/proc/webtune-x/y')).rejects.toThrow(/--out \/proc\/webtune-x\/y cannot be created: mkdir \/proc\/webtune-x failed/);
  });

  it('refuses a file in the way, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-out-'));
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    await expect(prepareOutDir(file)).rejects.toThrow(`--out ${file} is a file, not a folder`);
    await expect(prepareOutDir(join(file, 'sub'))).rejects.toThrow(`cannot be created: ${file} is a file`);
  });
});

describe('cli train refuses before work', () => {
  it('a file as --out is refused before the data is read', async () => {
    const { dir, model, data } = setup();
    const r = await cli(['train', '--model', model, '--data', data, '--steps', '1', '--out', data, '--json']);
    expect(r.code).toBe(1);
    const ev = events(r.stdout);
    expect(ev.map((e) => e.event)).toEqual(['error']);
    expect(ev[0].message).toContain(`--out ${data} is a file`);
    expect(existsSync(join(dir, 'adapter_model.safetensors'))).toBe(false);
  });

  it('a run the memory plan cannot fit is refused before weights or data are read, naming the flags and the bytes', async () => {
    const { dir, data } = setup();
    const model = join(dir, 'big'); // GPT-2 medium's config.json alone: the refusal must come before the weights are looked for
    mkdirSync(model);
    writeFileSync(join(model, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 1024, n_layer: 24, n_head: 16 }));
    const r = await cli(['train', '--model', model, '--data', data, '--steps', '1', '--batch', '64', '--seq-len', '1024', '--backend', 'wasm', '--no-checkpointing', '--out', join(dir, 'o'), '--json']);
    expect(r.code).toBe(1);
    const ev = events(r.stdout);
    expect(ev.map((e) => e.event)).toEqual(['error']); // before the data event
    expect(ev[0].message).toMatch(/^--batch 64 with --seq-len 1024: the memory plan needs about [\d.]+ GiB, more than WebAssembly's heap \(4\.00 GiB\)\. (What would fit: |Choose a smaller model)/);
  });

  it('settings out of the studio\'s bounds and text that is no number are refused by flag', async () => {
    const { dir, model, data } = setup();
    for (const [args, message] of [
      [['--batch', '1000'], /^--batch: too big: expected number to be <=256/],
      [['--lr', 'abc'], /^--lr must be a number, got "abc"/],
      [['--lr', ''], /^--lr must be a number, got ""/],
      [['--seed', '0x10'], /^--seed must be/],
    ] as const) {
      const r = await cli(['train', '--model', model, '--data', data, ...args, '--out', join(dir, 'o'), '--json']);
      expect(r.code).toBe(1);
      expect(events(r.stdout)[0].message).toMatch(message);
    }
  });

  it('the default --seq-len follows the model; a given one must fit it', async () => {
    const { dir, model, data } = setup(); // 32 positions, below the default 128
    const ok = await cli(['train', '--model', model, '--data', data, '--steps', '1', '--batch', '2', '--lora-r', '2', '--out', join(dir, 'o'), '--json']);
    expect(ok.code).toBe(0);
    expect(events(ok.stdout).at(-1)).toMatchObject({ event: 'done', steps: 1 });
    const bad = await cli(['train', '--model', model, '--data', data, '--steps', '1', '--seq-len', '64', '--out', join(dir, 'o2'), '--json']);
    expect(bad.code).toBe(1);
    expect(events(bad.stdout)[0].message).toBe("--seq-len 64 exceeds the model's 32 positions");
  });

  it('a run whose loss turns NaN stops and writes the weights of its last good step (full fine-tuning)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-robust-'));
    const model = join(dir, 'tiny');
    mkdirSync(model);
    const config = tinyConfig({ n_positions: 32 });
    const weights = tinyWeights(config);
    const files = tinyFolder(config, weights);
    for (const [name, bytes] of files) writeFileSync(join(model, name), bytes);
    // Poison the embedding row of the token "Z", which only every fourth record uses: steps without it are good.
    const z = new HfTokenizer(JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')), {}).encode('Z');
    expect(z).toHaveLength(1);
    weights['wte.weight'].data.fill(NaN, z[0] * config.n_embd, (z[0] + 1) * config.n_embd);
    for (const [name, bytes] of tinyFolder(config, weights)) writeFileSync(join(model, name), bytes);
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: i % 4 === 3 ? `the Z ${i}` : `the cat ${i} sat` })).join('\n'));
    const out = join(dir, 'nan');
    const r = await cli(['train', '--model', model, '--data', data, '--method', 'full', '--steps', '40', '--batch', '2', '--seq-len', '16', '--out', out, '--json']);
    expect(r.code).toBe(1);
    const ev = events(r.stdout);
    const err = ev.at(-1);
    const m = /^Training stopped at step (\d+): the loss became NaN\. The model keeps the weights of step (\d+)[ .].*Gradient clipping is already on.*Wrote the weights of step (\d+) \(config\.json, model\.safetensors/.exec(err.message);
    expect(m, err.message).not.toBeNull();
    const steps = ev.filter((e) => e.event === 'step').map((e) => e.step);
    expect(Number(m![1])).toBe(steps.length + 1); // the first bad step
    expect(Number(m![2])).toBe(Number(m![3]));
    const saved = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(saved.tensors.has('transformer.wte.weight')).toBe(true);
  });
});

describe('cli messages', () => {
  it('a closed pipe ends the command quietly', async () => {
    const { dir, model, data } = setup();
    const cmd = `"${process.execPath}" "${tsx}" "${main}" train --model "${model}" --data "${data}" --steps 200 --batch 2 --seq-len 16 --lora-r 2 --out "${join(dir, 'p')}" --json | head -1; exit \${PIPESTATUS[0]}`;
    const { stdout, stderr } = await run('bash', ['-c', cmd], { cwd: root }); // rejects on a non-zero exit
    expect(JSON.parse(stdout).event).toBe('data');
    expect(stderr).toBe('');
  });

  it('a missing model folder says it does not exist', async () => {
    const r = await cli(['tokenize', '--model', '/no/such/folder', '--text', 'hi']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The model folder /no/such/folder does not exist');
  });

  it.each(['tokenizer.json', 'tokenizer_config.json'])('an unparsable %s is named', async (file) => {
    const { model } = setup();
    writeFileSync(join(model, file), '{"version": ');
    const r = await cli(['tokenize', '--model', model, '--text', 'hi']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace('.', '\\.')} is not valid JSON: `));
  });

  it('an unparsable adapter_config.json is named with its path', async () => {
    const { dir, model } = setup();
    const adapter = join(dir, 'adapter');
    mkdirSync(adapter);
    writeFileSync(join(adapter, 'adapter_config.json'), '{peft_type: LORA}');
    const r = await cli(['generate', '--model', model, '--adapter', adapter, '--prompt', 'the']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(adapter, 'adapter_config.json')} is not valid JSON`);
  });
});
