// A data file that cannot be read is refused naming the file, and a message never carries a whole huge list.
import { describe, expect, it } from 'vitest';
import { parseDataset, parseDatasetText } from './dataset';
import { DataFileError, listText } from './data-error';

describe('data file errors', () => {
  it('a 5,000-column CSV gives a short message that names the file', () => {
    const cols = Array.from({ length: 5000 }, (_, i) => `c${i}`);
    const text = `${cols.join(',')}\n${cols.map(() => 'v').join(',')}\n`;
    let err: unknown;
    try {
      parseDatasetText('wide.csv', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFileError);
    const m = (err as Error).message;
    expect(m.startsWith('wide.csv: No records in a shape the studio knows')).toBe(true);
    expect(m).toContain('c19, ... and 4,980 more');
    expect(m.length).toBeLessThan(600);
  });

  it('an empty Parquet or broken JSON file names the file', async () => {
    await expect(parseDataset('x.parquet', new Uint8Array([1, 2, 3]))).rejects.toThrow(/^x\.parquet: /);
    expect(() => parseDatasetText('x.json', '[{"text": "a"')).toThrow(/^x\.json: /);
  });

  it('listText cuts long lists only', () => {
    expect(listText(['a', 'b'], 2)).toBe('a, b');
    expect(listText(['a', 'b', 'c'], 2)).toBe('a, b, ... and 1 more');
  });
});
