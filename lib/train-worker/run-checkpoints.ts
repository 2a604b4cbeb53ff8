// Train state files across the worker boundary: a trainer's saved state as transferable ArrayBuffers for a
// 'checkpoint' event (the page stores them, lib/runs/run-db.ts), and such files back into a state to resume from.
import { parseTrainState, trainStateFiles, TRAIN_STATE_JSON, TRAIN_STATE_TENSORS, type TrainState } from '../engine/train-state';

export function checkpointMessage(state: TrainState): { files: Record<string, ArrayBuffer>; transfer: ArrayBuffer[] } {
  const files: Record<string, ArrayBuffer> = {};
  for (const [name, bytes] of Object.entries(trainStateFiles(state))) {
    files[name] = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  return { files, transfer: Object.values(files) };
}

export function stateFromFiles(files: Record<string, ArrayBuffer>): TrainState {
  const get = (name: string) => (files[name] ? new Uint8Array(files[name]) : null);
  return parseTrainState(get(TRAIN_STATE_JSON), get(TRAIN_STATE_TENSORS), 'the stored checkpoint');
}
