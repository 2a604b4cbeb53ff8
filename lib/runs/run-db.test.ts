// The run store on fake-indexeddb: records, points and checkpoints survive closing and reopening; a run left
// running is interrupted on reopen and resumes from its stored checkpoint to the weights of an uninterrupted run;
// rename, delete (points and checkpoint gone), settings diff and metric downloads.
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeWeights, initGpt2Weights } from '../engine/gpt2';
import { randomExamples, tinyConfig, tinyTrainConfig, useCpu } from '../engine/test-utils';
import { Trainer } from '../engine/trainer';
import { fingerprintExamples, parseTrainState, trainStateFiles, TRAIN_STATE_JSON, TRAIN_STATE_TENSORS } from '../engine/train-state';
import { metricsCsv, metricsJson, settingsDiff } from './compare';
import { RunDb } from './run-db';

beforeAll(useCpu);

const config = tinyConfig({ n_embd: 16, n_head: 2 });
const train = randomExamples(5, 10, config.vocab_size, 1);
const cfg = tinyTrainConfig({ steps: 12, lora: { r: 2, alpha: 4, dropout: 0.1, targetModules: ['c_attn'], useRslora: false } });

describe('RunDb', () => {
  it('keeps runs across a reopen, interrupts a running one, and resumes it from its checkpoint exactly', async () => {
    const weights = initGpt2Weights(config, 3);
    let db = await RunDb.open('t-resume');
    const rec = await db.create({ name: 'first', model: 'tiny', dataName: 'd.jsonl', dataFingerprint: fingerprintExamples(train), config: cfg });
    // A run that autosaves at step 6, then the tab closes (the trainer is dropped mid-run).
    const a = new Trainer({ config, weights }, train, [], cfg, {
      onStep: (m) => {
        void db.addStep({ runId: rec.id, step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm });
        if (m.step === 6) {
          void a.saveState().then((s) => db.saveCheckpoint(rec.id, 6, trainStateFiles(s)));
          a.stop();
        }
      },
    });
    await a.run();
    a.dispose();
    await new Promise((r) => setTimeout(r, 50)); // the fire-and-forget writes land
    db.close();

    db = await RunDb.open('t-resume');
    const [interrupted] = await db.markInterrupted();
    expect(interrupted).toMatchObject({ id: rec.id, status: 'interrupted', step: 6, checkpointStep: 6 });
    expect((await db.metrics(rec.id)).steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    const ck = (await db.checkpoint(rec.id))!;
    expect(ck.bytes).toBeGreaterThan(0);
    await db.rewindTo(rec.id, ck.step);
    const b = new Trainer({ config, weights }, train, [], cfg);
    b.restoreState(parseTrainState(ck.files[TRAIN_STATE_JSON], ck.files[TRAIN_STATE_TENSORS], 'checkpoint'));
    expect((await b.run()).steps).toBe(12);
    const straight = new Trainer({ config, weights }, train, [], cfg);
    await straight.run();
    const [x, y] = [await b.saveState(), await straight.saveState()];
    x.params.forEach((p, i) => p.data.forEach((v, j) => expect(Math.abs(v - y.params[i].data[j])).toBeLessThanOrEqual(1e-6)));
    b.dispose();
    straight.dispose();
    disposeWeights(weights);
    db.close();
  });

  it('renames, lists newest first, deletes a run with its points and checkpoint', async () => {
    const db = await RunDb.open('t-crud');
    const r1 = await db.create({ name: 'one', model: 'm', dataName: 'd', dataFingerprint: 'f', config: cfg });
    await new Promise((r) => setTimeout(r, 2));
    const r2 = await db.create({ name: 'two', model: 'm', dataName: 'd', dataFingerprint: 'f', config: { ...cfg, lr: 1e-3 } });
    expect((await db.list()).map((r) => r.name)).toEqual(['two', 'one']);
    await db.rename(r1.id, '  renamed ');
    expect((await db.get(r1.id))!.name).toBe('renamed');
    await expect(db.rename(r1.id, ' ')).rejects.toThrow(/name/);
    await db.addStep({ runId: r1.id, step: 1, loss: 2, lr: 1e-3, gradNorm: 1 });
    await db.addEval({ runId: r1.id, step: 1, valLoss: 2.5 }, true);
    await db.addStep({ runId: r2.id, step: 1, loss: 3, lr: 1e-3, gradNorm: 1 });
    await db.saveCheckpoint(r1.id, 1, { 'train-state.json': new Uint8Array(10) });
    expect((await db.get(r1.id))!.bestStep).toBe(1);
    expect((await db.checkpointBytes()).get(r1.id)).toBe(10);
    await db.delete(r1.id);
    expect(await db.get(r1.id)).toBeUndefined();
    expect(await db.metrics(r1.id)).toEqual({ steps: [], evals: [] });
    expect(await db.checkpoint(r1.id)).toBeUndefined();
    expect((await db.metrics(r2.id)).steps).toHaveLength(1); // the other run is untouched
    await expect(db.update('nope', { name: 'x' })).rejects.toThrow(/No run nope/);
    db.close();
  });
});

describe('compare and download', () => {
  it('lists only the settings that differ, and writes metrics as CSV and JSON', () => {
    const d = settingsDiff([cfg, { ...cfg, lr: 1e-3, lora: { ...cfg.lora, r: 4 } }]);
    expect(d).toEqual([
      { key: 'lora.r', values: [String(cfg.lora.r), '4'] },
      { key: 'lr', values: [String(cfg.lr), '0.001'] },
    ]);
    const steps = [1, 2].map((step) => ({ runId: 'r', step, loss: 3 - step, lr: 0.1, gradNorm: 0.5 }));
    const csv = metricsCsv(steps, [{ runId: 'r', step: 2, valLoss: 1.5 }]);
    expect(csv).toBe('step,loss,lr,grad_norm,val_loss\n1,2,0.1,0.5,\n2,1,0.1,0.5,1.5\n');
    expect(JSON.parse(metricsJson(steps, [{ runId: 'r', step: 2, valLoss: 0 }])).evals[0]).toEqual({ step: 2, valLoss: 0, perplexity: 1 });
  });
});
