// The worker's end-of-run scores, posted as 'report' events before 'done': the forgetting meter (perplexity on
// the shipped general text, base against tuned) and the test split's metrics, both from lib/engine/run-report.ts,
// the functions `cli train` reports with. The base model's general-text perplexity is kept per sequence length.
import type { LoadedModel } from '../engine/loader';
import { generalPerplexity, generalRows } from '../engine/forgetting';
import { forgetting, testMetrics } from '../engine/run-report';
import type { Trainer } from '../engine/trainer';
import type { Example, TrainConfig } from '../engine/types';
import type { WorkerEvent } from './protocol';

export class RunScores {
  private base: { model: LoadedModel; seqLen: number; perplexity: number } | null = null;

  constructor(private readonly post: (e: WorkerEvent) => void) {}

  /** Scores the trainer's current (kept) weights; a failure is reported, not thrown (the run itself is done).
   * A reward model is not a language model: no meter for it. */
  async report(model: LoadedModel, trainer: Trainer, config: TrainConfig, test: Example[], instruction: boolean): Promise<void> {
    try {
      await this.score(model, trainer, config, test, instruction);
    } catch (e) {
      this.post({ type: 'report', error: `Scoring the finished run failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private async score(model: LoadedModel, trainer: Trainer, config: TrainConfig, test: Example[], instruction: boolean): Promise<void> {
    const tuned = trainer.evalModel();
    if (config.objective?.kind !== 'reward') {
      this.post({ type: 'report', evaluating: 'general text (forgetting meter)' });
      const rows = generalRows(model.tokenizer, config.seqLen);
      const before = await this.basePerplexity(model, config.seqLen, rows);
      const f = await forgetting({ config: model.config, weights: model.weights, packed: model.packed }, tuned, rows, before);
      this.post({ type: 'report', forgetting: { ...f, replayShare: config.replayShare ?? 0 } });
    }
    if (test.length > 0 && !config.objective) {
      this.post({ type: 'report', evaluating: `test split (${test.length} examples)` });
      this.post({ type: 'report', test: await testMetrics(tuned, test, model.tokenizer, instruction) });
    }
  }

  private async basePerplexity(model: LoadedModel, seqLen: number, rows: Example[]): Promise<number> {
    if (this.base?.model !== model || this.base.seqLen !== seqLen) {
      this.base = { model, seqLen, perplexity: (await generalPerplexity({ config: model.config, weights: model.weights, packed: model.packed }, rows)).perplexity };
    }
    return this.base.perplexity;
  }
}
