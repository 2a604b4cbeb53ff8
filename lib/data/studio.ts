// The data studio's public API in one place, for the data-step UI, the worker and the CLI.
// Flow: parseDataset -> prepareRecords (cleanRecords -> splitDataset) -> chooseTemplate -> datasetStats / previewTokens ->
// encodeConversations -> packExamples. Large JSONL files: streamDataset over Blob.stream().
export type * from './types';
export { parseDataset, parseDatasetText, normalizeRows, type DatasetOptions } from './dataset';
export { readRows, readTextRows, type RawRow, type ReadOptions } from './read';
export { detectShape, detectTags, DEFAULT_TAGS, SHAREGPT_TAGS } from './detect';
export { toConversation } from './normalize';
export { readDatasetInfo, datasetInfoOptions, type DatasetInfoEntry } from './dataset-info';
export { cleanRecords, recordText, type CleanOptions, type CleanReport } from './clean';
export { nearDuplicateOf, type MinHashOptions } from './minhash';
export { datasetStats, histogram, tooLongIssues, type DatasetStats, type HistogramBin, type StatsOptions } from './stats';
export { splitDataset, withValidationFile, type SplitRatios, type ThreeWaySplit } from './split3';
export { prepareRecords, DEFAULT_CLEAN_OPTIONS, type PreparedRecords } from './prepare';
export {
  BUILTIN_TEMPLATES,
  builtinTemplate,
  chooseTemplate,
  modelTemplate,
  specialTokens,
  type ChatTemplate,
  type TemplateName,
} from './chat-template';
export {
  encodeConversation,
  encodeConversations,
  previewTokens,
  withoutRejected,
  type EncodeOptions,
  type EncodedSet,
} from './encode-chat';
export { packExamples, blockCausalMask, segmentPositions, PAD_SEGMENT, type PackResult } from './pack';
export { parseBlob, streamDataset, streamLines, STREAM_THRESHOLD, type StreamOptions, type ProgressCallback } from './stream';
