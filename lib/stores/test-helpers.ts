// Test doubles for the store tests: a scriptable fake worker and a manual frame scheduler.
import type { WorkerEvent, WorkerRequest } from '../protocol';
import type { WorkerLike } from '../worker-client';

export class FakeWorker implements WorkerLike {
  posted: WorkerRequest[] = [];
  /** Transfer lists, one per posted message. */
  transfers: Transferable[][] = [];
  terminated = false;
  private listeners = new Map<string, ((ev: Event) => void)[]>();

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    // Structured clone, as a real worker boundary does.
    this.posted.push(structuredClone(message) as WorkerRequest);
    this.transfers.push(transfer);
  }
  terminate(): void {
    this.terminated = true;
  }
  addEventListener(type: string, listener: (ev: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(event: WorkerEvent): void {
    for (const l of this.listeners.get('message') ?? []) l({ data: event } as unknown as Event);
  }
  emitRaw(data: unknown): void {
    for (const l of this.listeners.get('message') ?? []) l({ data } as unknown as Event);
  }
  crash(message: string): void {
    const ev = { message, filename: '', lineno: 0, preventDefault() {} };
    for (const l of this.listeners.get('error') ?? []) l(ev as unknown as Event);
  }
  types(): string[] {
    return this.posted.map((m) => m.type);
  }
}

/** Collects scheduled flushes; `run()` fires them as one animation frame would. */
export class ManualScheduler {
  private queue: (() => void)[] = [];
  schedule = (flush: () => void): (() => void) => {
    this.queue.push(flush);
    return () => {
      this.queue = this.queue.filter((f) => f !== flush);
    };
  };
  get pending(): number {
    return this.queue.length;
  }
  run(): void {
    const q = this.queue;
    this.queue = [];
    for (const f of q) f();
  }
}

export function stepEvent(step: number, loss: number, totalSteps = 10): WorkerEvent {
  return {
    type: 'step',
    metrics: { step, totalSteps, loss, lr: 1e-3, gradNorm: 1, tokensPerSec: 500, tokens: step * 64, elapsedMs: step * 100 },
  };
}
