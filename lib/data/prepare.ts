// The one data preparation path of the studio's Data step and of `cli train`: clean the records (with an account of
// every removal), then split them seeded, or validate on a separate file. The same records, settings and seed give
// the same parts in both.
import { cleanRecords, type CleanOptions, type CleanReport } from './clean';
import { splitDataset, withValidationFile, type SplitRatios, type ThreeWaySplit } from './split3';
import type { Conversation } from './types';

/** The cleaning the Data step starts with (its form's defaults) and `cli train` applies: NFC and trim, empty
 * records and exact duplicates removed, no near-duplicate search, no length limit. */
export const DEFAULT_CLEAN_OPTIONS: CleanOptions = { normalize: true, dropEmpty: true, dedupe: true, nearDuplicates: false };

export interface PreparedRecords {
  cleaned: CleanReport; // the main file's records after cleaning, and what was removed
  parts: ThreeWaySplit<Conversation>;
}

/** Cleans `main` and splits it by `split` (seeded), or, with `validationFile`, trains on all of it and validates on
 * that file (cleaned the same way, without the near-duplicate search across files). */
export function prepareRecords(main: Conversation[], clean: CleanOptions, split: SplitRatios & { seed: number }, validationFile?: Conversation[] | null): PreparedRecords {
  const cleaned = cleanRecords(main, clean);
  const parts = validationFile
    ? withValidationFile(cleaned.records, cleanRecords(validationFile, { ...clean, nearDuplicates: false }).records)
    : splitDataset(cleaned.records, { validation: split.validation, test: split.test }, split.seed);
  return { cleaned, parts };
}
