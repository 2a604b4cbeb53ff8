// The Runs view's store on fake-indexeddb: lists stored runs with their curves, interrupts stale running runs once,
// renames, deletes, compares (settings diff in the chosen order) and writes metric files.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../engine/defaults';
import { RunDb } from '../runs/run-db';
import { compareDiff, createRunsStore } from './runs-store';

describe('runs store', () => {
  it('lists, interrupts, renames, compares, downloads and deletes', async () => {
    const db = await RunDb.open('t-runs-store');
    const cfg = defaultTrainConfig('lora');
    const a = await db.create({ name: 'first run', model: 'm', dataName: 'd', dataFingerprint: 'f', config: cfg });
    await new Promise((r) => setTimeout(r, 2));
    const b = await db.create({ name: 'second', model: 'm', dataName: 'd', dataFingerprint: 'f', config: { ...cfg, lr: 1e-3 } });
    await db.addStep({ runId: a.id, step: 1, loss: 2, lr: 1e-4, gradNorm: 1 });
    await db.addEval({ runId: a.id, step: 1, valLoss: 2.2 }, true);
    await db.update(b.id, { status: 'done' });
    const store = createRunsStore(() => RunDb.open('t-runs-store'));
    await store.getState().actions.refresh();
    let s = store.getState();
    expect(s.status).toBe('ready');
    expect(s.runs.map((r) => [r.name, r.status])).toEqual([['second', 'done'], ['first run', 'interrupted']]);
    expect(s.runs[1].steps).toHaveLength(1);
    await s.actions.rename(a.id, 'renamed');
    s.actions.toggleCompare(a.id);
    s.actions.toggleCompare(b.id);
    s = store.getState();
    expect(s.runs.find((r) => r.id === a.id)!.name).toBe('renamed');
    expect(compareDiff(s).diff).toEqual([{ key: 'lr', values: [String(cfg.lr), '0.001'] }]);
    expect(s.actions.metricsFile(a.id, 'csv')).toEqual({ fileName: 'renamed-metrics.csv', text: 'step,loss,lr,grad_norm,val_loss\n1,2,0.0001,1,2.2\n' });
    await s.actions.remove(a.id);
    s = store.getState();
    expect(s.runs.map((r) => r.id)).toEqual([b.id]);
    expect(s.compare).toEqual([b.id]);
    await s.actions.rename(b.id, '  ');
    expect(store.getState()).toMatchObject({ status: 'error', error: 'A run needs a name' });
    db.close();
  });

  it('leaves a run some tab still holds running, and marks it live', async () => {
    const db = await RunDb.open('t-runs-live');
    const cfg = defaultTrainConfig('lora');
    const held = await db.create({ name: 'held', model: 'm', dataName: 'd', dataFingerprint: 'f', config: cfg });
    await db.create({ name: 'left', model: 'm', dataName: 'd', dataFingerprint: 'f', config: cfg });
    await db.update(held.id, { status: 'paused' });
    const store = createRunsStore(() => RunDb.open('t-runs-live'), async () => new Set([held.id]));
    await store.getState().actions.refresh();
    const byName = Object.fromEntries(store.getState().runs.map((r) => [r.name, [r.status, r.live]]));
    expect(byName).toEqual({ held: ['paused', true], left: ['interrupted', false] });
    db.close();
  });
});
