/**
 * Dataset readers (DESIGN §5): JSONL, JSON arrays and CSV in the alpaca, messages (and ShareGPT),
 * prompt/completion, text, preference and tokenized formats, encoded into labelled rows.
 */
export { loadDataset, loadDatasetBytes, readDataset, readDatasetBytes, readDatasetFrom, type LoadedDataset, type LoadOptions, type ReadDataset } from './load.js';
export { detectFormat, detectRowFormat, voteFormat, type ColumnMapping } from './formats.js';
export { DATASET_FORMATS, FORMAT_FIELDS, type DatasetFormat } from './format-fields.js';
export { IGNORE, type EncodedRow } from './encode.js';
export { splitRows, type SplitOptions } from './split.js';
export { importDataset, importDatasetBytes, type ImportedDataset } from './import.js';
export { readRecords, decodeRecords, detectContainer, type Container, type ReadRecords } from './records.js';
export type { RawRecord } from './json-rows.js';
export { DatasetError, type RowError } from './errors.js';
export { readTokenizedJsonl, type TokenizedRow, type RowLimits } from './tokenized.js';
