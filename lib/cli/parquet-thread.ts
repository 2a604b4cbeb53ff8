// The CLI's Parquet reader thread (run by read-thread.ts): parses one data file it is sent and posts back the
// data set or the error's message. On its own thread so that a reader that never ends can be stopped.
import { parentPort } from 'node:worker_threads';
import { parseDataset, type DatasetOptions } from '../data/dataset';

parentPort!.once('message', async (m: { fileName: string; bytes: Uint8Array; opts: DatasetOptions }) => {
  try {
    parentPort!.postMessage({ dataset: await parseDataset(m.fileName, m.bytes, m.opts) });
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
