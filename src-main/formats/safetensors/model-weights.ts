/**
 * The weights of a Hugging Face model folder: one `model.safetensors`, or shards
 * `model-00001-of-0000N.safetensors` listed by `model.safetensors.index.json`
 * ({"metadata": {"total_size": bytes}, "weight_map": {tensor: shard}}).
 *
 * Opening validates the whole folder up front (every shard exists and parses, the weight_map and
 * the shards' headers name the same tensors, no tensor lives in two shards), so a broken download
 * fails at load rather than halfway through. Writing splits like huggingface_hub's
 * `split_torch_state_dict_into_shards` and names files as `save_pretrained` does.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeAtomic } from './atomic-write.js';
import type { FloatDtype } from './dtypes.js';
import { ioError, quote, SafetensorsError } from './errors.js';
import type { TensorInfo } from './header.js';
import { SafetensorsFile } from './reader.js';
import { tensorByteLength, writeSafetensors, type TensorToWrite } from './writer.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** transformers' `save_pretrained` default max_shard_size, "5GB" = 5 * 10^9 bytes. */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

export interface ModelWeights {
  /** Paths of the .safetensors files, in shard order. */
  files: string[];
  /** The single file's `__metadata__`; for shards, the first shard's, plus the index's `metadata` values as strings. */
  metadata: Record<string, string>;
  /** Tensor names, file by file in layout order. */
  names(): string[];
  info(name: string): TensorInfo;
  readFloat32(name: string): Float32Array;
  close(): void;
}

export interface WriteModelOptions {
  dtype?: FloatDtype;
  /** `__metadata__` of every file; `{format: "pt"}` is added unless given (transformers checks it). */
  metadata?: Record<string, string>;
  /** Tensor bytes per shard before a new shard starts; default 5 GB like transformers. */
  maxShardBytes?: number;
}

export function openModelWeights(dir: string): ModelWeights {
  // transformers looks for the single file first; writeModelWeights keeps only one layout.
  if (existsSync(join(dir, SINGLE_FILE))) return new FolderWeights(dir, [SafetensorsFile.open(join(dir, SINGLE_FILE))], {});
  if (existsSync(join(dir, INDEX_FILE))) return openSharded(dir);
  throw new SafetensorsError('MISSING_WEIGHTS', dir, `no ${SINGLE_FILE} or ${INDEX_FILE} in this folder`);
}

/**
 * Writes `model.safetensors`, or shards + index when the tensors exceed `maxShardBytes`, then
 * removes weight files of an earlier save that the new layout does not use. Returns the paths
 * written (safetensors files, then the index if any).
 */
export function writeModelWeights(dir: string, tensors: TensorToWrite[], opts: WriteModelOptions = {}): { files: string[] } {
  const dtype = opts.dtype ?? 'F32';
  const maxShardBytes = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShardBytes > 0)) throw new RangeError(`maxShardBytes must be positive, got ${maxShardBytes}`);
  const metadata = { format: 'pt', ...opts.metadata };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(dir, 'cannot create folder', e);
  }

  const { shards, totalSize } = planShards(dir, tensors, dtype, maxShardBytes);
  const files: string[] = [];
  if (shards.length <= 1) {
    files.push(join(dir, SINGLE_FILE));
    writeSafetensors(files[0], shards[0] ?? [], { dtype, metadata });
  } else {
    const weightMap = new Map<string, string>();
    shards.forEach((shard, i) => {
      const name = `model-${pad5(i + 1)}-of-${pad5(shards.length)}.safetensors`;
      writeSafetensors(join(dir, name), shard, { dtype, metadata });
      for (const t of shard) weightMap.set(t.name, name);
      files.push(join(dir, name));
    });
    // transformers: json.dumps(index, indent=2, sort_keys=True) + "\n"
    const index = { metadata: { total_size: totalSize }, weight_map: sortKeys(weightMap) };
    const indexPath = join(dir, INDEX_FILE);
    const text = Buffer.from(`${JSON.stringify(index, null, 2)}\n`, 'utf8');
    writeAtomic(indexPath, (write) => write(text));
    files.push(indexPath);
  }
  removeStale(dir, new Set(files.map((f) => basename(f))));
  return { files };
}

// ---- reading ---------------------------------------------------------------------------------

class FolderWeights implements ModelWeights {
  readonly files: string[];
  readonly metadata: Record<string, string>;
  private readonly where = new Map<string, SafetensorsFile>();

  constructor(
    private readonly dir: string,
    private readonly shards: SafetensorsFile[],
    indexMetadata: Record<string, string>,
  ) {
    this.files = shards.map((s) => s.path);
    this.metadata = { ...(shards[0]?.metadata ?? {}), ...indexMetadata };
    for (const s of shards) {
      for (const t of s.tensors) {
        const other = this.where.get(t.name);
        if (other !== undefined) {
          this.close();
          throw new SafetensorsError('DUPLICATE_TENSOR', dir, `tensor ${quote(t.name)} is in both ${other.path} and ${s.path}`);
        }
        this.where.set(t.name, s);
      }
    }
  }

  names(): string[] {
    return this.shards.flatMap((s) => s.tensors.map((t) => t.name));
  }

  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }

  readFloat32(name: string): Float32Array {
    return this.fileOf(name).readFloat32(name);
  }

  close(): void {
    for (const s of this.shards) s.close();
  }

  private fileOf(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (f === undefined) throw new SafetensorsError('TENSOR_NOT_FOUND', this.dir, `no tensor named ${quote(name)}`);
    return f;
  }
}

function openSharded(dir: string): ModelWeights {
  const indexPath = join(dir, INDEX_FILE);
  const { weightMap, metadata } = readIndex(indexPath);

  const shardNames = [...new Set(weightMap.values())].sort();
  checkSeries(indexPath, shardNames);
  for (const name of shardNames) {
    if (!existsSync(join(dir, name))) {
      throw new SafetensorsError('MISSING_SHARD', indexPath, `shard ${quote(name)} listed in weight_map does not exist`);
    }
  }
  const shards: SafetensorsFile[] = [];
  try {
    for (const name of shardNames) shards.push(SafetensorsFile.open(join(dir, name)));
  } catch (e) {
    for (const s of shards) s.close();
    throw e;
  }
  const weights = new FolderWeights(dir, shards, metadata); // DUPLICATE_TENSOR if two shards share a name
  try {
    for (const s of shards) {
      for (const t of s.tensors) {
        const listed = weightMap.get(t.name);
        if (listed !== basename(s.path)) {
          const where = listed === undefined ? 'is missing from weight_map' : `is listed in ${listed}`;
          throw new SafetensorsError('INDEX_MISMATCH', indexPath, `tensor ${quote(t.name)} found in ${basename(s.path)} ${where}`);
        }
      }
    }
    const byName = new Map(shards.map((s) => [basename(s.path), s]));
    for (const [tensor, shard] of weightMap) {
      if (byName.get(shard)?.has(tensor) !== true) {
        throw new SafetensorsError('INDEX_MISMATCH', indexPath, `weight_map puts ${quote(tensor)} in ${shard}, which does not contain it`);
      }
    }
  } catch (e) {
    weights.close();
    throw e;
  }
  return weights;
}

/** `model-00002-of-00003.safetensors` implies shards 1..3: each must be in weight_map. */
function checkSeries(indexPath: string, shardNames: string[]): void {
  const listed = new Set(shardNames);
  const series = new Set<string>(); // checked once per prefix + total, so a huge index stays linear
  for (const name of shardNames) {
    const m = /^(.*)-(\d{5})-of-(\d{5})\.safetensors$/.exec(name);
    if (m === null || series.has(`${m[1]}/${m[3]}`)) continue;
    series.add(`${m[1]}/${m[3]}`);
    const total = Number(m[3]);
    for (let k = 1; k <= total; k++) {
      const sibling = `${m[1]}-${pad5(k)}-of-${m[3]}.safetensors`;
      if (!listed.has(sibling)) {
        throw new SafetensorsError('INDEX_MISMATCH', indexPath, `weight_map names ${quote(name)} but no tensor in ${quote(sibling)}`);
      }
    }
  }
}

function readIndex(indexPath: string): { weightMap: Map<string, string>; metadata: Record<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new SafetensorsError('INVALID_INDEX', indexPath, `not valid JSON (${e.message})`);
    throw ioError(indexPath, 'cannot read', e);
  }
  const obj = isObject(json) ? json : null;
  const wm = obj !== null && isObject(obj.weight_map) ? obj.weight_map : null;
  if (wm === null) throw new SafetensorsError('INVALID_INDEX', indexPath, 'expected an object with a "weight_map" object');
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(wm)) {
    // A shard is a plain file name in this folder: no paths, no escaping the folder.
    if (typeof shard !== 'string' || !/\.safetensors$/.test(shard) || /[\\/:]/.test(shard) || shard.startsWith('.')) {
      throw new SafetensorsError('INVALID_INDEX', indexPath, `weight_map entry ${quote(tensor)} has an invalid shard name ${quote(String(shard))}`);
    }
    weightMap.set(tensor, shard);
  }
  const metadata: Record<string, string> = {};
  if (obj !== null && isObject(obj.metadata)) {
    for (const [k, v] of Object.entries(obj.metadata)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { weightMap, metadata };
}

// ---- writing ---------------------------------------------------------------------------------

/** huggingface_hub's greedy split: a tensor over the limit gets a shard of its own. */
function planShards(dir: string, tensors: TensorToWrite[], dtype: FloatDtype, maxBytes: number) {
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new SafetensorsError('DUPLICATE_TENSOR', dir, `tensor ${quote(t.name)} given twice`);
    names.add(t.name);
  }
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  let totalSize = 0;
  for (const t of tensors) {
    const n = tensorByteLength(dir, t, dtype);
    totalSize += n;
    if (n > maxBytes) {
      shards.push([t]);
      continue;
    }
    if (currentBytes + n > maxBytes && current.length > 0) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += n;
  }
  if (current.length > 0) shards.push(current);
  return { shards, totalSize };
}

/** Deletes model.safetensors / shards / index files from an earlier save that are not in `keep`. */
function removeStale(dir: string, keep: Set<string>): void {
  const weightFile = /^model(-\d{5}-of-\d{5})?\.safetensors$/;
  for (const name of readdirSync(dir)) {
    if (keep.has(name) || !(weightFile.test(name) || name === INDEX_FILE)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch (e) {
      throw ioError(join(dir, name), 'cannot remove stale weights', e);
    }
  }
}

/** Map -> plain object with sorted keys (fromEntries defines own properties, so `__proto__` is safe). */
function sortKeys(m: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
