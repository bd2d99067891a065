/**
 * `hft preview --model DIR --data FILE`: exactly what a dataset will train, row by row (DESIGN §6):
 * the text as rendered through the model's chat template, its token ids, each token's text, and
 * which tokens are trained. Bad rows are listed with their line; any makes the exit code 1.
 */
import { DATASET_FORMATS, readDataset, type ColumnMapping } from '../../formats/datasets/index.js';
import { readHfConfig } from '../../formats/hf-config.js';
import { loadTokenizer } from '../../formats/tokenizer/index.js';
import { choiceFlag, intFlag, parseFlags, required } from '../args.js';
import { emit } from '../output.js';

const IGNORE = -100;

export async function preview(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    n: { type: 'string' },
    format: { type: 'string' },
    'max-length': { type: 'string' },
    json: { type: 'boolean' },
  });
  const modelDir = required(values.model, '--model');
  const file = required(values.data, '--data');
  const n = intFlag(values.n, '--n', 5, 1);
  const cfg = readHfConfig(modelDir);
  const maxLength = Math.min(intFlag(values['max-length'], '--max-length', cfg.maxSequenceLength, 2), cfg.maxSequenceLength);
  const mapping: ColumnMapping | undefined = values.format === undefined ? undefined : { format: choiceFlag(values.format, '--format', DATASET_FORMATS, 'text') };
  const tokenizer = loadTokenizer(modelDir);
  const ds = readDataset(file, tokenizer, { maxLength, vocabSize: cfg.vocabSize, mapping });
  const rows = ds.rows.slice(0, n).map((r) => ({
    line: r.line,
    text: tokenizer.decode(r.inputIds),
    ids: r.inputIds,
    tokens: r.inputIds.map((id) => tokenizer.decode([id])),
    trained: r.labels.map((l) => l !== IGNORE),
    truncated: r.truncated,
  }));
  emit(values.json === true, { format: ds.format, rows, errors: ds.errors, total: ds.rows.length }, () => {
    const out = [`${file}: ${ds.format ?? 'unknown format'}, ${ds.rows.length} good rows, ${ds.errors.length} bad`];
    for (const r of rows) {
      // Trained tokens in [[ ]], the rest as context.
      let text = '';
      r.tokens.forEach((tok, i) => {
        const opens = r.trained[i] && (i === 0 || !r.trained[i - 1]);
        const closes = r.trained[i] && (i === r.tokens.length - 1 || !r.trained[i + 1]);
        text += `${opens ? '[[' : ''}${tok}${closes ? ']]' : ''}`;
      });
      out.push('', `line ${r.line}${r.truncated ? ' (cut to the maximum length)' : ''}: ${r.ids.length} tokens, ${r.trained.filter(Boolean).length} trained`, text);
    }
    for (const e of ds.errors) out.push(`${e.file}:${e.line}: ${e.reason}`);
    return out.join('\n');
  });
  if (ds.errors.length > 0) process.exitCode = 1;
}
