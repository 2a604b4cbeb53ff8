// `cli plan` on config-only folders (no weights): the JSON fields, numbers equal to planMemory's, checkpointing
// switched on only when the plan does not fit otherwise, the flags, and located errors for bad input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planMemory, planModelFor } from '../engine/memory-plan';
import { parseModelConfig } from '../engine/model-config';
import { countLoraParams } from '../engine/params';
import { root, runCli } from './test-cli';

const configs = join(root, 'scripts/model-configs');

async function plan(args: string[]): Promise<{ code: number; out: Record<string, unknown> }> {
  const { code, stdout } = await runCli(['plan', ...args, '--json']);
  return { code, out: JSON.parse(stdout.trim().split('\n').pop()!) };
}

describe('cli plan', () => {
  it('SmolLM2-135M LoRA 4 x 256 from its config.json alone: the planner numbers, checkpointing on because it must be', async () => {
    const { code, out } = await plan(['--config', join(configs, 'smollm2-135m'), '--method', 'lora', '--batch', '4', '--seq-len', '256', '--lora-r', '8']);
    expect(code).toBe(0);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['totalBytes', 'weights', 'gradients', 'optimizer', 'activations', 'fits']));
    const c = parseModelConfig((await import(join(configs, 'smollm2-135m/config.json'), { with: { type: 'json' } })).default);
    const lora = countLoraParams(c, { r: 8, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
    const want = planMemory(planModelFor(c), { method: 'lora', trainableParams: lora, batchSize: 4, seqLen: 256, checkpointing: true, weightFormat: 'f32' }, { budgetBytes: 4 * 1024 ** 3 });
    expect(out).toMatchObject({ totalBytes: want.total, weights: want.weights, gradients: lora * 4, optimizer: lora * 8, fits: true, checkpointing: true });
    expect(out.totalBytes as number).toBeLessThanOrEqual(2 * 1024 ** 3); // the target
  });

  it('a run that fits without checkpointing keeps it off; --checkpointing and --no-checkpointing decide when given', async () => {
    const demo = join(root, 'public/models/webtune-demo');
    const auto = await plan(['--config', demo, '--batch', '2', '--seq-len', '64']);
    expect(auto.out.checkpointing).toBe(false);
    const on = await plan(['--config', demo, '--batch', '2', '--seq-len', '64', '--checkpointing']);
    expect(on.out.checkpointing).toBe(true);
    expect(on.out.activations as number).toBeLessThan(auto.out.activations as number);
    const off = await plan(['--config', join(configs, 'gpt2'), '--method', 'full', '--batch', '4', '--seq-len', '256', '--no-checkpointing']);
    expect(off.out).toMatchObject({ checkpointing: false, fits: false });
    expect((off.out.suggestions as { label: string }[])[0].label).toBe('gradient checkpointing');
  });

  it('packed frozen weights shrink the weights of a LoRA plan: f16 about half, int8 about a quarter of the linear layers', async () => {
    const q = join(configs, 'qwen2.5-0.5b');
    const [f32, f16, int8] = await Promise.all(['f32', 'f16', 'int8'].map((w) => plan(['--config', q, '--batch', '1', '--seq-len', '512', '--weights', w])));
    const m = planModelFor(parseModelConfig((await import(join(q, 'config.json'), { with: { type: 'json' } })).default));
    expect((f32.out.weights as number) - (f16.out.weights as number)).toBe(m.linearParams! * 2);
    expect((f32.out.weights as number) - (int8.out.weights as number)).toBe(m.linearParams! * 3 - m.linearRows! * 4);
    expect(f16.out.totalBytes as number).toBeLessThanOrEqual(4 * 1024 ** 3);
  });

  it('--backend webgpu plans the fused attention: the same plan less the attention scores the plain ops keep', async () => {
    const g = join(configs, 'gpt2');
    const args = ['--config', g, '--batch', '4', '--seq-len', '1024', '--no-checkpointing', '--budget-gib', '64'];
    const [wasm, webgpu] = await Promise.all(['wasm', 'webgpu'].map((b) => plan([...args, '--backend', b])));
    // By hand: 6.457 floats x 12 layers x [4, 12, 1024, 1024] scores, less one log-sum-exp per query row.
    expect((wasm.out.activations as number) - (webgpu.out.activations as number)).toBeCloseTo(6.457 * 12 * 4 * 12 * 1024 * (1024 - 1) * 4, -4);
    expect(wasm.out.weights).toBe(webgpu.out.weights);
    expect((await runCli(['plan', '--config', g, '--backend', 'webgl'])).stderr).toMatch(/--backend must be wasm or webgpu/);
  });

  it('bad input: a missing file, invalid JSON, an unknown model type and absurd numbers are named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webtune-plan-'));
    writeFileSync(join(dir, 'config.json'), '{"model_type": "gpt2", ');
    expect((await plan(['--config', join(dir, 'nope.json')])).out.message).toMatch(/Cannot read .*nope\.json/);
    expect((await plan(['--config', dir])).out.message).toMatch(/config\.json is not valid JSON/);
    writeFileSync(join(dir, 'config.json'), '{"model_type": "bert"}');
    expect((await plan(['--config', dir])).out.message).toMatch(/model_type "bert" is not supported/);
    const bad = await plan(['--config', join(configs, 'gpt2'), '--batch', '0']);
    expect(bad.code).toBe(1);
    expect(bad.out.message).toMatch(/--batch must be a positive integer, got "0"/);
  });
});
