// `train --method dpo|reward` end to end: preference files in three shapes (TRL standard strings, TRL conversational,
// LLaMA-Factory v1 whole conversations with content parts) train a LoRA adapter, and --json step and eval events
// carry TRL's metrics; a reward model's folder loads back; preference flags are checked.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyConfig } from '../engine/test-fixtures';
import { loadRewardModel } from '../engine/reward-model';
import { fsSource } from './fs-source';
import { parseObjective } from './objective-args';
import { runCli as cli, tinyModelDir } from './test-cli';

function setup(): { dir: string; model: string; data: string } {
  const { dir, model } = tinyModelDir('webtune-dpo-', tinyConfig({ n_positions: 64 }));
  const parts = (role: string, text: string) => ({ role, content: [{ type: 'text', value: text }] });
  const rows = [
    { prompt: 'Sky:', chosen: ' blue', rejected: ' green' },
    { prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 'hello' }], rejected: [{ role: 'assistant', content: 'go' }] },
    { chosen_messages: [parts('user', 'Q'), parts('assistant', 'yes')], rejected_messages: [parts('user', 'Q'), parts('assistant', 'no')] },
    { prompt: 'Grass:', chosen: ' green', rejected: ' blue' },
  ];
  const data = join(dir, 'pairs.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
  return { dir, model, data };
}

describe('train --method dpo', () => {
  it('trains a LoRA adapter on pairs of every shape; step and eval events carry the rewards', async () => {
    const { dir, model, data } = setup();
    const out = join(dir, 'out');
    const r = await cli(['train', '--model', model, '--data', data, '--method', 'dpo', '--beta', '0.2', '--steps', '2', '--batch', '2',
      '--seq-len', '64', '--lora-r', '2', '--val-ratio', '0.25', '--out', out, '--json']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ event: 'data', format: 'preference', valid: 4, trainExamples: 3, validationExamples: 1 });
    const steps = events.filter((e) => e.event === 'step');
    expect(steps).toHaveLength(2);
    for (const s of steps) for (const k of ['rewardChosen', 'rewardRejected', 'margin', 'accuracy']) expect(Number.isFinite(s[k])).toBe(true);
    expect(steps[0].loss).toBeCloseTo(Math.LN2, 5); // the policy starts at the reference
    expect(events.find((e) => e.event === 'eval')).toHaveProperty('accuracy');
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
  });
});

describe('train --method reward', () => {
  it('writes a sequence-classification folder that loads back as a reward model', async () => {
    const { dir, model, data } = setup();
    const out = join(dir, 'rm');
    const r = await cli(['train', '--model', model, '--data', data, '--method', 'reward', '--steps', '2', '--batch', '2', '--seq-len', '64', '--lora-r', '2', '--out', out, '--json']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step');
    expect(steps[0]).toHaveProperty('accuracy');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['GPT2ForSequenceClassification'], num_labels: 1 });
    const rm = await loadRewardModel('rm', fsSource(out));
    expect(rm.score.shape).toEqual([1, 8]);
  });
});

describe('preference flags', () => {
  it('map onto the objective and the PEFT method, with clear refusals', () => {
    expect(parseObjective({ method: 'lora' })).toEqual({ method: 'lora' });
    const dpo = parseObjective({ method: 'dpo', 'base-method': 'full', beta: '0.3', 'loss-type': 'hinge', 'precompute-ref': true });
    expect(dpo.method).toBe('full');
    expect(dpo.objective).toMatchObject({ lossType: 'hinge', beta: 0.3, precomputeReference: true });
    expect(parseObjective({ method: 'simpo', 'simpo-gamma': '1' }).objective).toMatchObject({ lossType: 'simpo', simpoGamma: 1 });
    expect(parseObjective({ method: 'kto' }).objective).toMatchObject({ lossType: 'kto' });
    expect(parseObjective({ method: 'reward', 'base-method': 'full' })).toEqual({ method: 'full', objective: { kind: 'reward' } });
    expect(() => parseObjective({ method: 'simpo', 'loss-type': 'hinge' })).toThrow(/--method simpo is simpo/);
    expect(() => parseObjective({ method: 'dpo', beta: '-1' })).toThrow(/--beta/);
    expect(() => parseObjective({ method: 'dpo', 'label-smoothing': '0.7' })).toThrow(/--label-smoothing/);
    expect(() => parseObjective({ method: 'lora', beta: '0.1' })).toThrow(/--beta applies to preference optimisation/);
    expect(() => parseObjective({ method: 'dpo', 'base-method': 'nope' })).toThrow(/--method must be/);
  });
});
