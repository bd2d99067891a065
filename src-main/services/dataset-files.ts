/**
 * The wizard's datasets step: a dataset file's text, sent by the renderer (drag and drop or a file
 * picker, in Electron or in a browser on `hft serve`), previewed or imported through the same
 * readers as a plan's data files (formats/datasets), so an upload is checked exactly like the CLI's
 * import and the run that later trains it.
 *
 * The renderer never sends a path: `fileName` is a display name only. Its folder part is dropped,
 * and it is used for messages and to pick the container by its extension, never to read or write.
 * An import is all or nothing: every row must pass before the bytes are copied into the app's
 * content-addressed store (`<home>/datasets/<sha256><ext>`), which is the path a plan's task names.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetPreview, ImportedDatasetView, Params, RowProblem } from '../contract/index.js';
import {
  DatasetError,
  decodeRecords,
  IGNORE,
  importDatasetBytes,
  loadDatasetBytes,
  readDatasetFrom,
  voteFormat,
  type EncodedRow,
  type LoadOptions,
  type RawRecord,
  type ReadDataset,
  type ReadRecords,
} from '../formats/datasets/index.js';
import { ConfigError, readHfConfig } from '../formats/hf-config.js';
import { DEFAULT_PLAN_VALUES } from '../formats/plan-types.js';
import { loadTokenizer, TokenizerError, type Tokenizer } from '../formats/tokenizer/index.js';
import type { Store } from '../store/index.js';

/** Rows shown in full, bad rows listed, and records whose fields are listed as columns. */
const PREVIEW_ROWS = 5;
const MAX_ERRORS = 200;
const COLUMN_RECORDS = 50;

type DatasetFileRequest = Params<'datasets.preview'>;

interface Reading {
  fileName: string;
  bytes: Buffer;
  tokenizer: Tokenizer;
  opts: LoadOptions;
}

/** The name without any folder part (a browser may send one; a path must never reach the disk). */
function displayName(fileName: string): string {
  return fileName.split(/[\\/]/).pop()?.trim() || 'dataset';
}

interface ModelReading {
  tokenizer: Tokenizer;
  vocabSize: number;
  maxSequenceLength: number;
}

/**
 * The last model folder read, kept while its config.json and tokenizer files are unchanged: the
 * wizard previews again on every mapping change, and a real tokenizer.json takes a noticeable
 * fraction of a second to load.
 */
let lastModel: { key: string; model: ModelReading } | null = null;

function modelKey(modelPath: string): string {
  const stamp = (name: string): string => {
    try {
      const st = statSync(join(modelPath, name));
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return [resolve(modelPath), stamp('config.json'), stamp('tokenizer.json'), stamp('tokenizer_config.json')].join('|');
}

function readModel(modelPath: string): ModelReading {
  const key = modelKey(modelPath);
  if (lastModel?.key === key) return lastModel.model;
  let model: ModelReading;
  try {
    const cfg = readHfConfig(modelPath);
    model = { tokenizer: loadTokenizer(modelPath), vocabSize: cfg.vocabSize, maxSequenceLength: cfg.maxSequenceLength };
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof TokenizerError)) throw e;
    throw new Error(`the model folder ${modelPath} cannot be used to read datasets (${e.message}); choose a Hugging Face model folder with config.json and tokenizer.json`);
  }
  lastModel = { key, model };
  return model;
}

function reading(req: DatasetFileRequest): Reading {
  const model = readModel(req.modelPath);
  // Without a length from the wizard, the plan's default (512 tokens, what the wizard starts with),
  // so the preview counts the same cut rows the run will; never more than the model computes.
  const maxLength = Math.min(req.maxLength ?? DEFAULT_PLAN_VALUES.training.maxLength, model.maxSequenceLength);
  return {
    fileName: displayName(req.fileName),
    bytes: Buffer.from(req.content, 'utf8'),
    tokenizer: model.tokenizer,
    opts: { maxLength, vocabSize: model.vocabSize, mapping: req.mapping },
  };
}

/** What the file would train, with every problem; a problem with the whole file comes back as line 0. */
export function previewDatasetFile(req: Params<'datasets.preview'>): DatasetPreview {
  const { fileName, bytes, tokenizer, opts } = reading(req);
  const preview: DatasetPreview = { fileName, container: null, format: null, detectedFormat: null, columns: [], goodRows: 0, errors: [], badRows: 0, rows: [] };
  const fileProblem = (errors: RowProblem[]): DatasetPreview => ({ ...preview, errors: errors.slice(0, MAX_ERRORS), badRows: errors.length });
  const thrown = (e: unknown): RowProblem[] => {
    if (!(e instanceof DatasetError)) throw e;
    return e.errors.map(wholeFileProblem);
  };
  let parsed: ReadRecords;
  try {
    parsed = decodeRecords(bytes, fileName);
  } catch (e) {
    return fileProblem(thrown(e));
  }
  preview.container = parsed.container;
  preview.columns = columnsOf(parsed.records);
  preview.detectedFormat = voteFormat(parsed.records, fileName).format;
  let ds: ReadDataset;
  try {
    ds = readDatasetFrom(fileName, () => parsed, tokenizer, opts);
  } catch (e) {
    return fileProblem(thrown(e));
  }
  return {
    ...preview,
    format: ds.format,
    goodRows: ds.rows.length,
    errors: ds.errors.slice(0, MAX_ERRORS).map(({ line, reason }) => ({ line, reason })),
    badRows: ds.errors.length,
    rows: ds.rows.slice(0, PREVIEW_ROWS).map((r) => previewRow(r, tokenizer)),
  };
}

/**
 * Checks every row, then copies the file into the app's data folder and records it; throws the
 * DatasetError (first problem, and how many more) without writing anything when any row is bad.
 */
export function importDatasetFile(store: Store, home: string, req: Params<'datasets.import'>): ImportedDatasetView {
  const { fileName, bytes, tokenizer, opts } = reading(req);
  const ds = loadDatasetBytes(fileName, bytes, tokenizer, opts);
  const copy = importDatasetBytes(fileName, bytes, home);
  // The same record prepareRun writes for a plan's data file; a second import of the same bytes keeps the first.
  store.datasets.add({ sha256: copy.sha256, name: fileName, format: ds.format, rows: ds.rows.length, path: copy.path, sourcePath: fileName, bytes: copy.bytes });
  return { fileName, path: copy.path, sha256: copy.sha256, format: ds.format, rows: ds.rows.length, truncated: ds.truncated };
}

/** A whole-file problem at line 0; where the reader named a line past the first, the reason keeps it. */
function wholeFileProblem(e: { line: number; reason: string }): RowProblem {
  return { line: 0, reason: e.line > 1 ? `line ${e.line}: ${e.reason}` : e.reason };
}

/** Field names of the first records, in the order first seen (a CSV's header). */
function columnsOf(records: readonly RawRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records.slice(0, COLUMN_RECORDS)) {
    if (typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value)) for (const k of Object.keys(r.value)) seen.add(k);
  }
  return [...seen];
}

/** The row's untrained tokens (prompt, template scaffolding) and trained tokens, each decoded as text. */
function previewRow(r: EncodedRow, tokenizer: Tokenizer): DatasetPreview['rows'][number] {
  const part = (trained: boolean): string => tokenizer.decode(r.inputIds.filter((_, t) => (r.labels[t] !== IGNORE) === trained));
  return { line: r.line, prompt: part(false), trained: part(true), tokens: r.inputIds.length, truncated: r.truncated };
}
