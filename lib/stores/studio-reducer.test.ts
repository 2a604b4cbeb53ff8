// Tests for the pure worker-event reducer: status transitions and where errors land.
import { describe, expect, it } from 'vitest';
import { appendSteps, initialExport, initialModel, initialRun, reduceCrash, reduceEvent, type WorkerSlices } from './studio-reducer';

const base = (): WorkerSlices => ({ model: initialModel, run: initialRun(), exporting: initialExport });
const metrics = (step: number, loss: number) => ({ step, totalSteps: 4, loss, lr: 1e-3, gradNorm: 1, tokensPerSec: 1, tokens: 1, elapsedMs: 1 });

describe('studio reducer', () => {
  it('marks the requested model as loaded on ready', () => {
    const s = { ...base(), model: { ...initialModel, status: 'loading' as const, requestedKey: 'k' } };
    const r = reduceEvent(s, { type: 'ready', backend: 'webgl', adapter: 'ANGLE', model: { name: 'm', params: 10, config: {} }, trainableParams: 5 });
    expect(r.model).toMatchObject({ status: 'ready', loadedKey: 'k', backend: 'webgl', adapter: 'ANGLE', trainableParams: 5, progress: null });
  });

  it('walks a run from loading to done', () => {
    let s: WorkerSlices = { ...base(), run: initialRun('loading', 4) };
    s = reduceEvent(s, { type: 'started', totalSteps: 4, trainableParams: 9, trainExamples: 8, validationExamples: 1, truncated: 3, droppedNoLoss: 1 });
    expect(s.run).toMatchObject({ status: 'running', truncated: 3, droppedNoLoss: 1 });
    s = reduceEvent(s, { type: 'step', metrics: metrics(1, 3) });
    s = reduceEvent(s, { type: 'state', state: 'paused' });
    expect(s.run.status).toBe('paused');
    s = reduceEvent(s, { type: 'done', steps: 1, firstLoss: 3, lastLoss: 3, stopped: true });
    expect(s.run.status).toBe('stopped');
    // A late state event does not revive a finished run.
    expect(reduceEvent(s, { type: 'state', state: 'running' }).run.status).toBe('stopped');
  });

  it('appends batches with a running smoothed loss', () => {
    let run = appendSteps(initialRun('running'), [metrics(1, 4), metrics(2, 2)]);
    run = appendSteps(run, [metrics(3, 2)]);
    expect(run.points.map((p) => p.loss)).toEqual([4, 2, 2]);
    expect(run.points[0].smoothed).toBeCloseTo(4, 12);
    expect(run.points[1].smoothed).toBeCloseTo(0.56 / 0.19, 12);
    expect(appendSteps(run, [])).toBe(run);
  });

  it('sends message errors to the job that was last sent', () => {
    const s = { ...base(), exporting: { ...initialExport, status: 'exporting' as const } };
    const r = reduceEvent(s, { type: 'error', during: 'message', message: 'bad request' }, 'export');
    expect(r.exporting).toMatchObject({ status: 'error', error: 'bad request' });
    expect(r.run.status).toBe('idle');
  });

  it('routes a crash during a load to the model, during an export to the export', () => {
    const loading = { ...base(), model: { ...initialModel, status: 'loading' as const } };
    const a = reduceCrash(loading, 'crashed', ['load']);
    expect(a.model).toMatchObject({ status: 'error', error: 'crashed' });
    expect(a.run.error).toBeNull();
    const exporting = { ...base(), run: { ...initialRun('done'), points: [] }, exporting: { ...initialExport, status: 'exporting' as const } };
    const b = reduceCrash(exporting, 'crashed', ['export']);
    expect(b.exporting).toMatchObject({ status: 'error', error: 'crashed' });
    expect(b.run.status).toBe('done');
  });
});
