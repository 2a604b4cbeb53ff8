// The error a data file is refused with: its message starts with the file's name, and long lists (a 5,000-column
// header) are cut so a message stays readable.
export class DataFileError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'DataFileError';
  }
}

/** Rethrows any failure of reading `file` as a DataFileError naming it (once). */
export function namedDataError(file: string, e: unknown): DataFileError {
  if (e instanceof DataFileError) return e;
  return new DataFileError(file, e instanceof Error ? e.message : String(e));
}

/** At most `max` items joined with commas, then how many more there are. */
export function listText(items: readonly string[], max = 20): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, ... and ${(items.length - max).toLocaleString('en-US')} more`;
}
