// Tests for the streaming reader: lines split across chunk boundaries (UTF-8, CRLF, BOM) give the same
// records as the in-memory parser, progress reaches the total, and a ~50 MB JSON Lines file parses with
// heap growth bounded by a small multiple of the file size.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseBlob, STREAM_THRESHOLD, streamDataset, streamLines } from './stream';
import { parseDatasetText } from './dataset';

/** A ReadableStream over bytes in chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

const fromFile = (file: string) => Readable.toWeb(fs.createReadStream(file, { highWaterMark: 1 << 16 })) as ReadableStream<Uint8Array>;

describe('streamLines', () => {
  it('splits lines across chunk boundaries, keeps multi-byte characters whole, drops BOM and CR', async () => {
    const text = '\uFEFFfirst é line\r\nsecond 日本語\n\nlast without newline';
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 7, 1000]) {
      const lines: string[] = [];
      for await (const l of streamLines(chunked(bytes, size))) lines.push(`${l.line}:${l.text}`);
      expect(lines).toEqual(['1:first é line', '2:second 日本語', '3:', '4:last without newline']);
    }
  });
});

describe('streamDataset', () => {
  it('gives the same dataset as the in-memory parser, with progress up to the total', async () => {
    const text = fs.readFileSync(path.resolve(__dirname, 'fixtures/studio/errors.jsonl'), 'utf8');
    const bytes = new TextEncoder().encode(text);
    const progress: number[] = [];
    const ds = await streamDataset('errors.jsonl', chunked(bytes, 13), { totalBytes: bytes.length, onProgress: (d, t) => progress.push(d / t) });
    const whole = parseDatasetText('errors.jsonl', text);
    expect({ ...ds, container: 'jsonl' }).toEqual(whole);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('parseBlob streams large JSON Lines and reads other files whole, with the same result', async () => {
    const line = JSON.stringify({ prompt: 'Q', completion: 'A'.repeat(1000) }) + '\n';
    const bytes = new TextEncoder().encode(line.repeat(Math.ceil(STREAM_THRESHOLD / line.length)));
    // A Blob that can only be streamed (in 64 KB chunks, as browsers do): reading it whole would throw.
    const big = { size: bytes.length, stream: () => chunked(bytes, 1 << 16), arrayBuffer: () => Promise.reject(new Error('read whole')) } as unknown as Blob;
    const progress: number[] = [];
    const streamed = await parseBlob('big.jsonl', big, { onProgress: (d) => progress.push(d) });
    expect(progress.length).toBe(Math.ceil(bytes.length / (1 << 16)));
    expect(progress.at(-1)).toBe(bytes.length);
    const small = await parseBlob('pc.csv', new Blob([fs.readFileSync(path.resolve(__dirname, 'fixtures/studio/pc.csv'))]));
    expect([streamed.shape, streamed.records.length, small.container, small.records.length]).toEqual(['prompt-completion', Math.ceil(STREAM_THRESHOLD / line.length), 'csv', 2]);
  });

  it('refuses an empty stream and a binary one', async () => {
    await expect(streamDataset('e.jsonl', chunked(new Uint8Array(0), 8))).rejects.toThrow(/The file is empty/);
    const png = new Uint8Array(4096).map((_, i) => (i * 97 + 13) & 0xff);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    await expect(streamDataset('image.jsonl', chunked(png, 1000))).rejects.toThrow('This does not look like a text file (found binary data)');
  });

  it('parses ~50 MB of JSON Lines with bounded heap growth', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'webtune-stream-')), 'big.jsonl');
    const fd = fs.openSync(file, 'w');
    const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit '.repeat(8);
    let lines = 0;
    for (let size = 0; size < 50e6; lines++) {
      const line = JSON.stringify({ instruction: `Question ${lines}?`, input: '', output: `${filler}${lines}` }) + '\n';
      fs.writeSync(fd, line);
      size += line.length;
    }
    fs.closeSync(fd);
    const bytes = fs.statSync(file).size;
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const ds = await streamDataset('big.jsonl', fromFile(file), { totalBytes: bytes });
    const ms = performance.now() - t0;
    const growth = process.memoryUsage().heapUsed - before;
    console.log(`stream: ${(bytes / 1e6).toFixed(1)} MB, ${ds.total} records in ${(ms / 1000).toFixed(2)} s; heap growth ${(growth / 1e6).toFixed(1)} MB (${(growth / bytes).toFixed(2)}x the file)`);
    expect([ds.shape, ds.total, ds.records.length, ds.issues.length]).toEqual(['alpaca', lines, lines, 0]);
    expect(ds.records.at(-1)!.line).toBe(lines);
    // The records themselves hold about the file's text; the reader must not add a second whole copy and more.
    expect(growth).toBeLessThan(3 * bytes);
    fs.rmSync(path.dirname(file), { recursive: true });
  }, 120_000);
});
