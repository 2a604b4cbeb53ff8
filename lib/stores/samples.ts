// The sample data sets listed in public/samples/index.json, checked before the UI trusts them.
import { z } from 'zod';

export const sampleEntrySchema = z.object({
  file: z.string().min(1),
  title: z.string(),
  description: z.string(),
  format: z.string(),
  records: z.number(),
});
export type SampleEntry = z.infer<typeof sampleEntrySchema>;

export const SAMPLE_INDEX_URL = '/samples/index.json';

export function sampleUrl(file: string): string {
  return `/samples/${encodeURIComponent(file)}`;
}

export function parseSampleIndex(data: unknown): SampleEntry[] {
  const r = z.array(sampleEntrySchema).safeParse(data);
  if (!r.success) throw new Error('The sample list (/samples/index.json) is not in the expected shape.');
  return r.data;
}

export const ACCEPTED_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.csv', '.tsv', '.parquet', '.txt'] as const;

export function hasAcceptedExtension(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return ACCEPTED_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
