// The CLI reads Parquet on a worker_thread under a time budget: the real alpaca.parquet fixture reads there as on
// the main thread, and the same file with byte 459 set to 214 (a data page header hyparquet 1.33 loops on) is
// stopped when its budget runs out, with a message naming the file, instead of hanging the command.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDataset } from '../data/dataset';
import { readTimeBudgetMs } from '../data/read-budget';
import { readDataFile } from './data-args';
import { parseDatasetInThread } from './read-thread';

const FIXTURE = join(import.meta.dirname, '../data/fixtures/studio/alpaca.parquet');

describe('Parquet on a reader thread', () => {
  it('reads an intact file as the main thread does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-parquet-'));
    writeFileSync(join(dir, 'alpaca.parquet'), readFileSync(FIXTURE));
    const threaded = await readDataFile(join(dir, 'alpaca.parquet'), 'auto');
    const direct = await parseDataset('alpaca.parquet', new Uint8Array(readFileSync(FIXTURE)));
    expect(threaded.records.length).toBeGreaterThan(0);
    expect(threaded).toEqual(direct);
  });

  it('stops a file the reader loops on, naming it', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    bytes[459] = 214;
    expect(readTimeBudgetMs(bytes.length)).toBeGreaterThanOrEqual(10_000); // the default; the test waits less
    await expect(parseDatasetInThread('alpaca.parquet', bytes, {}, 2_000)).rejects.toThrow(
      /^Reading alpaca\.parquet was stopped after 2\.0 s \(the time its size allows\): the file is probably damaged \(a Parquet page header/,
    );
  });
});
