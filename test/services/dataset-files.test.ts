/**
 * The wizard's dataset upload (datasets.preview / datasets.import) on the bundled sample model and
 * its sample datasets, sent as text the way the renderer sends them. Expectations come from the
 * file-path reader (readDataset), from counting the files by hand, and from an independent sha256.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError, readDataset } from '../../src-main/formats/datasets/index.js';
import { readHfConfig } from '../../src-main/formats/hf-config.js';
import { loadTokenizer, type Tokenizer } from '../../src-main/formats/tokenizer/index.js';
import { importDatasetFile, previewDatasetFile } from '../../src-main/services/dataset-files.js';
import { planFromText, prepareRun } from '../../src-main/services/run-prepare.js';
import { openStore, type Store } from '../../src-main/store/index.js';

const SAMPLE = fileURLToPath(new URL('../../resources/sample', import.meta.url));
const text = (name: string): string => readFileSync(join(SAMPLE, name), 'utf8');
const nonBlankLines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

let tokenizer: Tokenizer;
let vocabSize: number;
/** config.json's max_position_embeddings: the longest row the sample model computes. */
let modelMax: number;

beforeAll(() => {
  tokenizer = loadTokenizer(SAMPLE);
  vocabSize = readHfConfig(SAMPLE).vocabSize;
  modelMax = (JSON.parse(text('config.json')) as { max_position_embeddings: number }).max_position_embeddings;
});

let root: string;
let home: string;
let store: Store;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hft-dataset-files-'));
  // Deep enough that "../../x" from home/datasets would still land inside root, where it is seen.
  home = join(root, 'a', 'b', 'home');
  mkdirSync(home, { recursive: true });
  store = openStore(join(home, 'hft.db'));
});
afterEach(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)));
}

const req = (fileName: string, content: string, extra: object = {}) => ({ fileName, content, modelPath: SAMPLE, ...extra });

describe('datasets.preview', () => {
  const samples = [
    // Counted by hand: JSONL one row per non-blank line; the JSON array's elements; the CSV's lines after the header.
    { file: 'task1-reverse.jsonl', container: 'jsonl', format: 'alpaca', count: (s: string) => nonBlankLines(s).length, firstLine: 1 },
    { file: 'task2-add.json', container: 'json', format: 'messages', count: (s: string) => (JSON.parse(s) as unknown[]).length, firstLine: 2 },
    { file: 'task3-colour-codes.csv', container: 'csv', format: 'prompt-completion', count: (s: string) => nonBlankLines(s).length - 1, firstLine: 2 },
  ] as const;

  for (const s of samples) {
    it(`reads ${s.file} as the file reader does, and as counted by hand`, () => {
      const content = text(s.file);
      const p = previewDatasetFile(req(s.file, content));
      const byPath = readDataset(join(SAMPLE, s.file), tokenizer, { maxLength: modelMax, vocabSize });
      expect(p.format).toBe(s.format);
      expect(byPath.format).toBe(s.format);
      expect(p.detectedFormat).toBe(s.format);
      expect(p.container).toBe(s.container);
      expect(p.goodRows).toBe(s.count(content));
      expect(p.goodRows).toBe(byPath.rows.length);
      expect([p.badRows, p.errors]).toEqual([0, []]);
      expect(p.rows.map((r) => r.line)).toEqual(byPath.rows.slice(0, 5).map((r) => r.line));
      expect(p.rows[0].line).toBe(s.firstLine);
      expect(p.rows.map((r) => r.tokens)).toEqual(byPath.rows.slice(0, 5).map((r) => r.inputIds.length));
    });
  }

  it('lists the columns and splits each shown row into its prompt and its trained answer', () => {
    const csv = text('task3-colour-codes.csv');
    expect(previewDatasetFile(req('c.csv', csv)).columns).toEqual(nonBlankLines(csv)[0].split(','));
    const jsonl = text('task1-reverse.jsonl');
    const first = JSON.parse(nonBlankLines(jsonl)[0]) as { instruction: string; input: string; output: string };
    const p = previewDatasetFile(req('r.jsonl', jsonl));
    expect(p.columns).toEqual(Object.keys(first));
    const row = p.rows[0];
    // Only the answer (and the end-of-turn token after it) is trained; the instruction and input are prompt.
    expect(row.trained.startsWith(first.output)).toBe(true);
    expect(row.trained).not.toContain(first.input);
    expect(row.prompt).toContain(first.instruction);
    expect(row.prompt).toContain(first.input);
    expect(row.prompt).not.toContain(first.output);
    expect(row.truncated).toBe(false);
  });

  it('reports a bad row with its line and reason beside the good ones', () => {
    const lines = nonBlankLines(text('task1-reverse.jsonl')).slice(0, 6);
    lines[2] = JSON.stringify({ instruction: 'Reverse the letters.', input: 'a-b-c' });
    const p = previewDatasetFile(req('bad.jsonl', lines.join('\n')));
    expect(p.errors).toEqual([{ line: 3, reason: 'missing field "output"' }]);
    expect([p.goodRows, p.badRows, p.format]).toEqual([5, 1, 'alpaca']);
    expect(p.rows.map((r) => r.line)).toEqual([1, 2, 4, 5, 6]);
  });

  it('reads other column names through a mapping', () => {
    const csv = text('task3-colour-codes.csv');
    const renamed = csv.replace(/^prompt,completion/, 'question,answer');
    const unmapped = previewDatasetFile(req('qa.csv', renamed));
    expect([unmapped.format, unmapped.detectedFormat, unmapped.goodRows]).toEqual([null, null, 0]);
    expect(unmapped.badRows).toBe(nonBlankLines(csv).length - 1);
    expect(unmapped.columns).toEqual(['question', 'answer']);
    const mapping = { format: 'prompt-completion' as const, columns: { prompt: 'question', completion: 'answer' } };
    const mapped = previewDatasetFile(req('qa.csv', renamed, { mapping }));
    const original = previewDatasetFile(req('orig.csv', csv));
    expect([mapped.format, mapped.detectedFormat, mapped.badRows]).toEqual(['prompt-completion', null, 0]);
    // The mapped file trains exactly what the original file with the standard names trains.
    expect(mapped.goodRows).toBe(original.goodRows);
    expect(mapped.rows).toEqual(original.rows);
    const imported = importDatasetFile(store, home, req('qa.csv', renamed, { mapping }));
    expect([imported.format, imported.rows]).toEqual(['prompt-completion', original.goodRows]);
  });

  it('returns problems with the whole file as line 0 instead of throwing', () => {
    const whole = (fileName: string, content: string, extra: object = {}) => {
      const p = previewDatasetFile(req(fileName, content, extra));
      expect([p.format, p.goodRows, p.badRows, p.rows]).toEqual([null, 0, 1, []]);
      expect(p.errors).toHaveLength(1);
      expect(p.errors[0].line).toBe(0);
      return p;
    };
    expect(whole('empty.jsonl', '').errors[0].reason).toBe('the file is empty');
    expect(whole('blank.csv', '\n  \n').errors[0].reason).toBe('the file is empty');
    expect(whole('one.json', JSON.stringify({ data: [{ text: 'a' }, { text: 'b' }] }, null, 2)).errors[0].reason).toMatch(/one JSON object, not rows.*"data"/);
    // A NUL character (UTF-16 text pasted as text) keeps the line it was found on in the reason.
    expect(whole('nul.jsonl', '{"text": "a"}\n{"text": "b\u0000"}').errors[0].reason).toMatch(/^line 2: the file holds NUL bytes/);
    const pref = whole('pref.jsonl', [{ prompt: 'p', chosen: 'a', rejected: 'b' }].map((r) => JSON.stringify(r)).join('\n'));
    expect(pref.errors[0].reason).toMatch(/preference dataset/);
    expect([pref.detectedFormat, pref.container, pref.columns]).toEqual(['preference', 'jsonl', ['prompt', 'chosen', 'rejected']]);
    const badMapping = whole('r.jsonl', text('task1-reverse.jsonl'), { mapping: { format: 'text', columns: { prompt: 'x' } } });
    expect(badMapping.errors[0].reason).toMatch(/the column mapping names "prompt", which is not a field of text/);
    expect(badMapping.columns).toEqual(['instruction', 'input', 'output']);
    // The CSV reader reports a header with no rows at the header's line, as it does for a file on disk.
    expect(previewDatasetFile(req('header-only.csv', 'prompt,completion\n')).errors).toEqual([{ line: 1, reason: 'the file has a header row but no rows' }]);
  });

  it('reports JSON values that are not objects row by row', () => {
    const p = previewDatasetFile(req('numbers.json', '[\n1,\n{"text": "ok"},\n"x"\n]'));
    expect(p.errors).toEqual([
      { line: 2, reason: 'each row must be a JSON object' },
      { line: 4, reason: 'each row must be a JSON object' },
    ]);
    expect([p.format, p.goodRows]).toEqual(['text', 1]);
  });

  it("cuts rows to the requested length, never past the model's", () => {
    const long = JSON.stringify({ text: 'abc '.repeat(200) });
    expect(previewDatasetFile(req('long.jsonl', long)).rows[0]).toMatchObject({ tokens: modelMax, truncated: true });
    expect(previewDatasetFile(req('long.jsonl', long, { maxLength: 1_000_000 })).rows[0]).toMatchObject({ tokens: modelMax, truncated: true });
    expect(previewDatasetFile(req('long.jsonl', long, { maxLength: 16 })).rows[0]).toMatchObject({ tokens: 16, truncated: true });
  });

  it('throws a plain error for a folder that is not a model', () => {
    const call = () => previewDatasetFile({ ...req('r.jsonl', text('task1-reverse.jsonl')), modelPath: root });
    expect(call).toThrow(/^the model folder .* cannot be used .*config\.json/);
    expect(call).not.toThrow(DatasetError);
  });
});

describe('datasets.import', () => {
  it('copies the bytes under their sha256, records them once, and gives the same path twice', () => {
    const content = text('task1-reverse.jsonl');
    const bytes = Buffer.from(content, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const a = importDatasetFile(store, home, req('task1-reverse.jsonl', content));
    const b = importDatasetFile(store, home, req('again.jsonl', content));
    expect(a).toEqual({ fileName: 'task1-reverse.jsonl', path: join(home, 'datasets', `${sha256}.jsonl`), sha256, format: 'alpaca', rows: nonBlankLines(content).length, truncated: 0 });
    expect(b.path).toBe(a.path);
    expect(readFileSync(a.path).equals(bytes)).toBe(true);
    expect(readdirSync(join(home, 'datasets'))).toEqual([`${sha256}.jsonl`]);
    expect(store.datasets.list().map((d) => [d.sha256, d.name, d.format, d.rows, d.path])).toEqual([[sha256, 'task1-reverse.jsonl', 'alpaca', a.rows, a.path]]);
  });

  it('writes nothing when a row is bad', () => {
    const lines = nonBlankLines(text('task1-reverse.jsonl')).slice(0, 6);
    lines[2] = '{"instruction": "Reverse the letters.", "input": ';
    lines[4] = JSON.stringify({ instruction: 'Reverse the letters.', output: 7 });
    let err: unknown;
    try {
      importDatasetFile(store, home, req('bad.jsonl', lines.join('\n')));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).errors.map((e) => e.line)).toEqual([3, 5]);
    expect((err as DatasetError).message).toMatch(/^bad\.jsonl:3: invalid JSON.*\(and 1 more bad rows\)$/);
    expect(existsSync(join(home, 'datasets'))).toBe(false);
    expect(store.datasets.list()).toEqual([]);
  });

  it('treats the file name as a name only, never as a path', () => {
    const content = text('task3-colour-codes.csv');
    const sha256 = createHash('sha256').update(Buffer.from(content, 'utf8')).digest('hex');
    const before = filesUnder(root);
    for (const fileName of ['../../etc/passwd.csv', '..\\..\\evil\\x.csv', '/abs/olute.csv']) {
      const r = importDatasetFile(store, home, req(fileName, content));
      expect(r.path).toBe(join(home, 'datasets', `${sha256}.csv`));
      expect(r.fileName).toBe(fileName.split(/[\\/]/).pop());
    }
    const added = filesUnder(root).filter((f) => !before.includes(f));
    expect(added.filter((f) => !f.startsWith(join('a', 'b', 'home', '')))).toEqual([]);
    expect(readdirSync(join(home, 'datasets'))).toEqual([`${sha256}.csv`]);
    expect(existsSync(join(root, 'a', 'etc'))).toBe(false);
  });

  it('gives a path that a plan can train, importing it again as the same dataset', () => {
    const imported = importDatasetFile(store, home, req('task2-add.json', text('task2-add.json')));
    const plan = {
      name: 'uploaded',
      model: SAMPLE,
      tasks: [{ name: 'add', data: imported.path }],
      training: { batchSize: 4, steps: 3, maxLength: 64 },
      backend: 'cpu',
    };
    const prepared = prepareRun(store, home, planFromText(JSON.stringify(plan), join(root, 'plan.json')));
    expect(prepared.job.tasks.map((t) => t.data)).toEqual([imported.path]);
    expect(store.runs.get(prepared.runId)?.status).toBe('queued');
    expect(store.datasets.list().map((d) => [d.sha256, d.rows])).toEqual([[imported.sha256, imported.rows]]);
    expect(readdirSync(join(home, 'datasets'))).toEqual([`${imported.sha256}.json`]);
  });
});
