/**
 * Why a run failed, in plain words, and what to do about it. A failed run keeps only the reason
 * its trainer gave (RunSummary.error, one line), so the kind of failure is read back from the
 * wording the main side uses for each:
 *   out of memory   trainer-host / runs: "ran out of memory", the engine's allocation failures
 *   data            a dataset reader's `file:line: reason`
 *   checkpoint      "checkpoint <folder>: <what is wrong>"
 *   model           the model folder's config.json, tokenizer or safetensors files
 *   stopped         the trainer process was killed or exited early (a crash, a shutdown)
 * Anything else keeps its own words with a general suggestion. The order matters: an out-of-memory
 * kill also says "killed", and memory is the thing to change then.
 */

export type FailureKind = 'out-of-memory' | 'data' | 'checkpoint' | 'model' | 'stopped' | 'unknown';

export interface FailureAdvice {
  kind: FailureKind;
  /** What went wrong, in one sentence. */
  summary: string;
  /** What to do next. */
  advice: string;
  /** Whether pressing Resume (from the newest checkpoint) is the suggested fix. */
  resumable: boolean;
  /** For data problems: the file and 1-based line named (line 0 = the whole file). */
  where: { file: string; line: number } | null;
}

const OUT_OF_MEMORY = /out of memory|Cannot enlarge memory|Array buffer allocation failed|Allocation failed|failed to allocate|\bOOM\b/i;
/** `file.jsonl:12: reason` (a row), or `file.csv: reason` (the whole file). */
const DATA_ROW = /^(.+?\.(?:jsonl|json|csv)):(?:(\d+):)?\s+(.+)$/i;
/** JSON files of a model folder, which the data pattern above would also match. */
const MODEL_FILE = /(?:^|[\\/])(?:config|tokenizer|tokenizer_config|generation_config|special_tokens_map)\.json$|\.index\.json$/i;
const CHECKPOINT = /^checkpoint (.+?): (.+)$/;
const MODEL = /config\.json|tokenizer|safetensors|\btensor "|model\.safetensors|weight_map|\bshard\b/i;
const STOPPED = /trainer process was killed|trainer process exited|trainer ended without finishing|trainer process could not start/i;

export function failureAdvice(reason: string): FailureAdvice {
  const text = reason.trim();
  if (OUT_OF_MEMORY.test(text)) {
    return {
      kind: 'out-of-memory',
      summary: 'The computer ran out of memory while training.',
      advice:
        'Start a new run with a smaller batch size (fewer examples per step) or a shorter maximum length (long examples are cut shorter). Both are in the Settings step of a new run. Closing other programs that use a lot of memory also helps.',
      resumable: false,
      where: null,
    };
  }
  const data = DATA_ROW.exec(text);
  if (data !== null && !MODEL_FILE.test(data[1])) {
    const line = data[2] === undefined ? 0 : Number(data[2]);
    // The file named is the run's own copy (named by its checksum); its lines are the user's file's lines.
    return {
      kind: 'data',
      summary: line > 0 ? `A row of a dataset has a problem, at line ${line}: ${data[3]}` : `A dataset file has a problem: ${data[3]}`,
      advice: `Open your own file for that task, fix ${line > 0 ? `line ${line} (or delete that row)` : 'it'}, then start a new run with the corrected file. The run trains on its own copy of the data, so resuming it would meet the same problem again.`,
      resumable: false,
      where: { file: data[1], line },
    };
  }
  const checkpoint = CHECKPOINT.exec(text);
  if (checkpoint !== null) {
    return {
      kind: 'checkpoint',
      summary: `A saved checkpoint of this run is damaged: ${checkpoint[2]}.`,
      advice: 'Press Resume: the app checks every checkpoint, skips a damaged one and goes on from the newest intact one, so only the work since then is done again.',
      resumable: true,
      where: null,
    };
  }
  if (MODEL.test(text)) {
    return {
      kind: 'model',
      summary: 'The model folder could not be read.',
      advice:
        'Check that the model folder is still where it was when the run started and that it is complete: config.json, tokenizer.json and the model.safetensors file(s). If it was moved or only partly copied, put it back or copy it again, then press Resume.',
      resumable: true,
      where: null,
    };
  }
  if (STOPPED.test(text)) {
    return {
      kind: 'stopped',
      summary: 'The training process stopped unexpectedly (for example the app or the computer was shut down, or the process was ended).',
      advice: 'Press Resume: training continues from the last checkpoint it saved, so little work is lost.',
      resumable: true,
      where: null,
    };
  }
  return {
    kind: 'unknown',
    summary: 'Training stopped because of an error.',
    advice: 'Press Resume to try again from the last checkpoint. If it stops with the same reason again, the details below say what went wrong.',
    resumable: true,
    where: null,
  };
}
