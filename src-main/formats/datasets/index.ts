/**
 * Dataset readers (DESIGN §5): JSONL, JSON arrays and CSV in the alpaca, messages (and ShareGPT),
 * prompt/completion, text, preference and tokenized formats, encoded into labelled rows.
 */
export { loadDataset, readDataset, type LoadedDataset, type LoadOptions } from './load.js';
export { detectFormat, detectRowFormat, type ColumnMapping } from './formats.js';
export { DATASET_FORMATS, FORMAT_FIELDS, type DatasetFormat } from './format-fields.js';
export { IGNORE, type EncodedRow } from './encode.js';
export { splitRows, type SplitOptions } from './split.js';
export { importDataset, type ImportedDataset } from './import.js';
export { readRecords, detectContainer, type Container, type ReadRecords } from './records.js';
export type { RawRecord } from './json-rows.js';
export { DatasetError, type RowError } from './errors.js';
export { readTokenizedJsonl, type TokenizedRow, type RowLimits } from './tokenized.js';
