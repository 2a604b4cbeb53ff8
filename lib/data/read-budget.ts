// How long reading a data file may take before the reader is stopped: a damaged file can make a parser loop
// without end (hyparquet 1.33 on a flipped Parquet data page header), which only a reader on another thread
// (the studio's data worker, the CLI's worker_thread) can be stopped from. The budget grows with the file's
// size and is generous: parsers read many MiB per second, the budget allows half a MiB per second.
export const READ_BUDGET_BASE_MS = 10_000;
export const READ_BUDGET_MS_PER_MIB = 2_000;

export function readTimeBudgetMs(bytes: number): number {
  return Math.round(READ_BUDGET_BASE_MS + (bytes / 2 ** 20) * READ_BUDGET_MS_PER_MIB);
}

export function readTimeoutMessage(fileName: string, ms: number): string {
  const parquet = /\.parquet$/i.test(fileName);
  return (
    `Reading ${fileName} was stopped after ${(ms / 1000).toFixed(1)} s (the time its size allows): the file is probably damaged` +
    (parquet ? ' (a Parquet page header the reader cannot get past)' : '') +
    '. Re-save or re-export it, or use JSON Lines'
  );
}
