// Gradient checkpointing for one transformer block: the forward pass keeps only the block's input, and the
// backward pass runs the block again under a fresh tape to get the gradients of its input and its parameters.
//
// Written by hand: tfjs has no checkpointing. Two engine facts shape it. (1) Ops inside tf.customGrad's forward are
// not recorded on the tape (kernelDepth > 0), so nothing inside the block is kept. (2) A gradient computed inside a
// gradFunc starts a new tape that replaces and then clears the engine's active tape, which the outer backward
// pass still needs at its end: the outer tape is put back after the nested pass (see withOuterTape).
import * as tf from '@tensorflow/tfjs';

interface EngineState {
  activeTape: unknown;
}

/** Runs fn with the engine's active tape kept aside and restored, so a nested gradient cannot clear it. */
function withOuterTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  const outer = state.activeTape;
  try {
    return fn();
  } finally {
    state.activeTape = outer;
  }
}

/**
 * y = run(x, extras) whose backward pass recomputes run instead of keeping its intermediates.
 * - x [N, C]: the block input (its gradient is returned to the caller's tape).
 * - extras: constant tensors the block reads (masks, rotary tables); saved with x, never differentiated.
 * - vars: the trainable variables the block reads (LoRA factors of this layer, or its weights when fully trained);
 *   they become inputs of the op so the outer tape routes their gradients. `run` must read them itself (from
 *   the weight map or adapter) and be deterministic: dropout seeds must not depend on call order.
 */
export function checkpointed(run: (x: tf.Tensor2D, extras: tf.Tensor[]) => tf.Tensor2D, x: tf.Tensor2D, extras: tf.Tensor[], vars: tf.Variable[]): tf.Tensor2D {
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor2D;
    save([input, ...extras]);
    const value = run(input, extras);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => recompute(run, dy as tf.Tensor2D, saved[0] as tf.Tensor2D, saved.slice(1), vars);
    return { value, gradFunc };
  });
  return op(x, ...vars) as tf.Tensor2D;
}

/** [dx, ...dvars] of sum(run(x) * dy), from a second forward pass under its own tape. */
function recompute(run: (x: tf.Tensor2D, extras: tf.Tensor[]) => tf.Tensor2D, dy: tf.Tensor2D, x: tf.Tensor2D, extras: tf.Tensor[], vars: tf.Variable[]): tf.Tensor[] {
  return withOuterTape(() => {
    // The input becomes a temporary variable (it shares x's data) so one variableGrads call covers it and vars.
    const xv = tf.variable(x, true);
    try {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(run(xv, extras), dy)) as tf.Scalar, [xv, ...vars]);
      value.dispose();
      // A variable the block does not reach (e.g. an adapter of a module this layer lacks) gets a zero gradient.
      return [xv, ...vars].map((v) => grads[v.name] ?? tf.zerosLike(v));
    } finally {
      xv.dispose();
    }
  });
}
