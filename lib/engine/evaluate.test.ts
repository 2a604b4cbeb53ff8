// Evaluation on tiny models: loss, perplexity and token accuracy equal a hand computation over full logits (the
// reference causalLmLoss and a host-side argmax), examples are scored alone, and after memorising a small
// instruction fixture the tuned greedy answers match the references while the base model's do not.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateExamples, exactMatch, promptAndAnswer, sameAnswer } from './evaluate';
import { disposeWeights, initGpt2Weights } from './gpt2';
import { causalLmLoss } from './loss';
import { forward } from './model';
import { tinyConfig, tinyTrainConfig, useCpu, values } from './test-utils';
import { Trainer } from './trainer';
import type { Example } from './types';

beforeAll(useCpu);

const config = tinyConfig();

/** Loss sum and argmax hits of one example by the plain reference: full logits, causalLmLoss, host argmax. */
function byHand(weights: Map<string, tf.Tensor>, e: Example): { nll: number; hits: number; n: number } {
  const T = e.ids.length;
  const ids = tf.tensor2d(e.ids, [1, T], 'int32');
  const logits = forward(config, weights, ids);
  const loss = causalLmLoss(logits, ids, tf.tensor2d(e.mask, [1, T]));
  const L = values(logits);
  const V = config.vocab_size;
  let hits = 0;
  let n = 0;
  for (let t = 1; t < T; t++) {
    if (!e.mask[t]) continue;
    n++;
    let best = 0;
    for (let v = 1; v < V; v++) if (L[(t - 1) * V + v] > L[(t - 1) * V + best]) best = v;
    if (best === e.ids[t]) hits++;
  }
  const nll = values(loss)[0] * n;
  tf.dispose([ids, logits, loss]);
  return { nll, hits, n };
}

describe('evaluateExamples', () => {
  it('equals the per-example reference loss weighted by counted targets, and its argmax accuracy', async () => {
    const weights = initGpt2Weights(config, 3);
    const examples: Example[] = [
      { ids: [1, 2, 3, 4, 5, 6], mask: [0, 0, 0, 1, 1, 1] },
      { ids: [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], mask: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
      { ids: [3, 3, 3], mask: [0, 0, 1] },
    ];
    const r = await evaluateExamples({ config, weights }, examples);
    const hand = examples.map((e) => byHand(weights, e));
    const n = hand.reduce((a, h) => a + h.n, 0);
    expect(r.tokens).toBe(3 + 10 + 1);
    expect(r.loss).toBeCloseTo(hand.reduce((a, h) => a + h.nll, 0) / n, 5);
    expect(r.perplexity).toBeCloseTo(Math.exp(r.loss), 5);
    expect(r.accuracy).toBeCloseTo(hand.reduce((a, h) => a + h.hits, 0) / n, 10);
    // A padded batch would attend past nothing here, but the short example alone must score the same either way.
    const alone = await evaluateExamples({ config, weights }, [examples[2]]);
    expect(alone.loss).toBeCloseTo(hand[2].nll, 5);
    const empty = await evaluateExamples({ config, weights }, [{ ids: [1, 2], mask: [0, 0] }]);
    expect(empty.tokens).toBe(0);
    expect(Number.isNaN(empty.loss)).toBe(true);
    disposeWeights(weights);
  });

  it('keeps the tensor count flat', async () => {
    const weights = initGpt2Weights(config, 4);
    const before = tf.memory().numTensors;
    await evaluateExamples({ config, weights }, [{ ids: [1, 2, 3], mask: [0, 1, 1] }]);
    expect(tf.memory().numTensors).toBe(before);
    disposeWeights(weights);
  });
});

describe('exact match', () => {
  it('splits an instruction example at its first counted target and drops the end token', () => {
    expect(promptAndAnswer({ ids: [5, 6, 7, 8, 0], mask: [0, 0, 1, 1, 1] }, 0)).toEqual({ prompt: [5, 6], answer: [7, 8] });
    expect(promptAndAnswer({ ids: [5, 6], mask: [0, 0] }, 0)).toBeNull();
    expect(sameAnswer(' Paris\n', 'Paris')).toBe(true);
    expect(sameAnswer('Paris, France', 'Paris')).toBe(false);
  });

  it('after memorising a fixture the tuned greedy answers equal the references and the base answers do not', async () => {
    const weights = initGpt2Weights(config, 5);
    const eos = config.eos_token_id!;
    // Two prompts, each with its own three-token answer and the end token (as encodeConversation appends it).
    const examples: Example[] = [
      { ids: [11, 12, 13, 21, 22, 23, eos], mask: [0, 0, 0, 1, 1, 1, 1] },
      { ids: [14, 15, 16, 31, 32, 33, eos], mask: [0, 0, 0, 1, 1, 1, 1] },
    ];
    const decode = (ids: number[]) => ids.map((i) => `t${i}`).join(' ');
    const base = await exactMatch({ config, weights }, examples, decode, eos);
    expect(base.rate).toBe(0);
    const trainer = new Trainer({ config, weights }, examples, [], tinyTrainConfig({ method: 'full', steps: 60, lr: 1e-2 }));
    await trainer.run();
    const model = trainer.evalModel();
    const tuned = await exactMatch(model, examples, decode, eos);
    expect(tuned.answers.map((a) => a.got)).toEqual(['t21 t22 t23', 't31 t32 t33']);
    expect(tuned.rate).toBe(1);
    expect((await evaluateExamples(model, examples)).accuracy).toBe(1);
    trainer.dispose();
    disposeWeights(weights);
  });
});
