// The worker's end-of-run scores, posted as 'report' events before 'done': the forgetting meter (perplexity on
// the shipped general text, base against tuned) and the test split's metrics, both from lib/engine/run-report.ts,
// the functions `cli train` reports with. The base model's general-text perplexity is kept per sequence length.
// Stop during the scoring skips the rest of it (between greedy answers and between the two scores).
import type { LoadedModel } from '../engine/loader';
import { generalPerplexity, generalRows } from '../engine/forgetting';
import { forgetting, testMetrics } from '../engine/run-report';
import type { Trainer } from '../engine/trainer';
import type { Example, TrainConfig } from '../engine/types';
import type { WorkerEvent } from './protocol';

/** Thrown between answers and phases once Stop was pressed during the scoring. */
class ScoringStopped extends Error {}

export class RunScores {
  private base: { model: LoadedModel; seqLen: number; perplexity: number } | null = null;
  private scoring = false;
  private stopped = false;

  constructor(private readonly post: (e: WorkerEvent) => void) {}

  /** Stop pressed: skips what is left of the scoring under way (at the next answer or phase); no-op otherwise. */
  stop(): void {
    if (this.scoring) this.stopped = true;
  }

  /** Scores the trainer's current (kept) weights; a failure is reported, not thrown (the run itself is done).
   * A reward model is not a language model: no meter for it. */
  async report(model: LoadedModel, trainer: Trainer, config: TrainConfig, test: Example[], instruction: boolean): Promise<void> {
    this.scoring = true;
    this.stopped = false;
    try {
      await this.score(model, trainer, config, test, instruction);
    } catch (e) {
      const error = e instanceof ScoringStopped
        ? 'Scoring stopped: Stop was pressed after training ended. The trained weights are kept; export them as usual.'
        : `Scoring the finished run failed: ${e instanceof Error ? e.message : String(e)}`;
      this.post({ type: 'report', error });
    } finally {
      this.scoring = false;
    }
  }

  private check(): void {
    if (this.stopped) throw new ScoringStopped();
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
      this.check();
      this.post({ type: 'report', evaluating: `test split (${test.length} examples)` });
      this.post({ type: 'report', test: await testMetrics(tuned, test, model.tokenizer, instruction, { onAnswer: () => this.check() }) });
    }
  }

  private async basePerplexity(model: LoadedModel, seqLen: number, rows: Example[]): Promise<number> {
    if (this.base?.model !== model || this.base.seqLen !== seqLen) {
      this.base = { model, seqLen, perplexity: (await generalPerplexity({ config: model.config, weights: model.weights, packed: model.packed }, rows)).perplexity };
    }
    return this.base.perplexity;
  }
}
