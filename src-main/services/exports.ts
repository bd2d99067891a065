/**
 * The exports service: writes the weights of a run's stage (optionally merged with the base
 * model) as a model people can use elsewhere, and records it.
 *
 * - `safetensors`: a Hugging Face folder (Transformers) in the base model's own dtypes (BF16, F16
 *   or F32, tensor by tensor), sharded with an index above `maxShardBytes`, with config.json and
 *   the tokenizer and generation files copied, and `__metadata__` naming the run, its stages'
 *   strategy and ratio, the merge and the app version.
 * - `gguf`: `model.gguf` (llama.cpp; F32, F16 or Q8_0) and an Ollama `Modelfile` beside it.
 *
 * The folder is written under a temporary name and renamed when complete (formats/atomic-dir.ts):
 * a failure, a full disk or a kill leaves nothing that looks like a finished export.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { mergeLabel, type MergeSpec } from '../engine/merge.js';
import { paramSpecs } from '../engine/param-specs.js';
import { writeDirAtomic } from '../formats/atomic-dir.js';
import { buildModelfile } from '../formats/gguf/modelfile.js';
import { writeGguf, type GgufType } from '../formats/gguf/index.js';
import { sourceDtypes, writeModelFolder, type WeightReader } from '../formats/model-folder.js';
import { loadTokenizer } from '../formats/tokenizer/index.js';
import type { Store } from '../store/index.js';
import { appVersion } from './app-files.js';
import { requireRun, storedPlan } from './runs.js';
import { runWeights, type RunWeights } from './run-weights.js';

export const EXPORT_FORMATS = ['safetensors', 'gguf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const GGUF_TYPES: readonly GgufType[] = ['F32', 'F16', 'Q8_0'];

export interface ExportRequest {
  runId: string;
  out: string;
  /** 0-based stage; default the last finished one. */
  stage?: number;
  format: ExportFormat;
  merge: MergeSpec;
  /** GGUF tensor type (default F16). */
  ggufType?: GgufType;
  /** Replace a non-empty `out`. */
  force?: boolean;
  /** Shard size for safetensors (default 5 GB). */
  maxShardBytes?: number;
}

export interface ExportResult {
  out: string;
  files: string[];
  format: ExportFormat;
  merge: string;
  /** 0-based. */
  stage: number;
  bytes: number;
  warnings: string[];
}

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Called as each tensor is written: `done` of `total` tensors. */
export type ExportProgress = (done: number, total: number) => void;

export async function exportRun(store: Store, home: string, req: ExportRequest, onProgress: ExportProgress = () => {}): Promise<ExportResult> {
  const out = resolve(req.out);
  const rw = runWeights(store, req.runId, { stage: req.stage, merge: req.merge });
  guardOut(out, [rw.modelDir, home]);
  const readers = hostReaders(rw, onProgress);
  const merge = mergeLabel(rw.merge);
  const format = req.format;
  const ggufType = format === 'gguf' ? (req.ggufType ?? 'F16') : null;
  let warnings: string[] = [];
  try {
    await writeDirAtomic(out, req.force === true, (tmp) => {
      if (format === 'safetensors') {
        const dtypes = sourceDtypes(rw.modelDir);
        writeModelFolder(tmp, rw.cfg.raw, readers, { ...dtypes, srcDir: rw.modelDir, metadata: provenance(store, rw), maxShardBytes: req.maxShardBytes });
      } else {
        warnings = writeGgufFolder(tmp, rw, readers, ggufType as GgufType, provenance(store, rw));
      }
    });
  } catch (e) {
    throw diskFull(e, out) ?? e;
  }
  const files = listFiles(out);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  store.exports.add(req.runId, { path: out, format, merge, stage: rw.stage, bytes, ggufType });
  return { out, files, format, merge, stage: rw.stage, bytes, warnings };
}

/** `model.gguf` and its Modelfile; returns the writers' warnings. */
function writeGgufFolder(dir: string, rw: RunWeights, readers: WeightReader[], type: GgufType, meta: Record<string, string>): string[] {
  const extra = Object.fromEntries(Object.entries(meta).map(([k, v]) => [`hft.${k.replace(/^hft_/, '')}`, v]));
  const gguf = writeGguf(join(dir, 'model.gguf'), { cfg: rw.cfg, tokenizerDir: rw.modelDir, tensors: readers, name: basename(rw.modelDir), extra }, type);
  const tok = loadTokenizer(rw.modelDir);
  const stopTokens = [...new Set(tok.stopIds)].map((id) => tok.decode([id], { skipSpecialTokens: false }));
  const modelfile = buildModelfile({ ggufFile: 'model.gguf', chatTemplate: tok.chatTemplateSource(), tokens: { bos: tok.bosToken, eos: tok.eosToken }, stopTokens });
  writeFileSync(join(dir, 'Modelfile'), modelfile.text);
  return [...gguf.warnings, ...modelfile.warnings];
}

/** The `__metadata__` an export carries: where it came from. All values are strings. */
function provenance(store: Store, rw: RunWeights): Record<string, string> {
  const run = requireRun(store, rw.runId);
  const { job } = storedPlan(run);
  const stages = store.stages.list(rw.runId).slice(0, rw.stage + 1).map((s) => {
    const mask = s.maskJson == null ? null : (JSON.parse(s.maskJson) as { strategy: string; ratio: number; seed: number; stage: number });
    return { stage: s.idx + 1, task: s.taskName, steps: s.steps, strategy: mask?.strategy ?? job.freeze.strategy, ratio: mask?.ratio ?? job.freeze.ratio, maskSeed: mask?.seed, maskDraw: mask?.stage };
  });
  return {
    hft_run_id: rw.runId,
    hft_run_name: run.name,
    hft_stage: String(rw.stage + 1),
    hft_stages: JSON.stringify(stages),
    hft_merge: mergeLabel(rw.merge),
    hft_version: appVersion(),
  };
}

/** Readers over the run's weights in HF order; each read reports progress and frees its values. */
function hostReaders(rw: RunWeights, onProgress: ExportProgress): WeightReader[] {
  const specs = paramSpecs(rw.cfg);
  let done = 0;
  return specs.map((spec) => ({
    name: spec.name,
    shape: spec.shape,
    read: () => {
      const w = rw.weights.get(spec.name);
      if (w == null) throw new ExportError(`the weights of run ${rw.runId} have no tensor "${spec.name}"`);
      onProgress(++done, specs.length);
      return w.data;
    },
  }));
}

/** Refuses an output folder that is, or holds, the base model or the app's data. */
function guardOut(out: string, protectedDirs: string[]): void {
  for (const dir of protectedDirs.map((d) => resolve(d))) {
    const rel = relative(out, dir);
    if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel))) {
      throw new ExportError(`the output folder ${out} would replace ${dir}; choose a new folder`);
    }
  }
}

/** Every file under `dir`, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

function diskFull(e: unknown, out: string): ExportError | null {
  const text = `${(e as NodeJS.ErrnoException)?.code ?? ''} ${e instanceof Error ? e.message : String(e)}`;
  if (!/ENOSPC|disk is full/i.test(text)) return null;
  return new ExportError(`the disk is full: the export to ${out} did not fit and nothing was left behind; free some space and export again`);
}
