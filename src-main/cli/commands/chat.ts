/**
 * `hft chat`: the playground on the command line. Talks to a model folder (--model) or to a run's
 * trained weights (--run, optionally merged with the base model), streaming each answer as it is
 * generated; --compare answers with the run's base model and the fine-tuned one, one after the other.
 *
 * The conversation goes through the model's chat template and is encoded exactly as evaluation
 * encodes a prompt (formats/datasets/encode.ts: the ids before the assistant's answer), so a task's
 * prompt gets the same ids here as in the run's exact-match evaluation. Answers end at the
 * tokenizer's stop ids, at a --stop string, or after --max-new-tokens (capped by the model's length).
 * Greedy unless --temperature > 0; sampling follows transformers' generate (engine/sampling.ts).
 *
 * --prompt answers once; without it, a loop on stdin: each line is a user turn, the history goes
 * back through the template, `/reset` clears it, `/exit` or end of input ends. Ctrl-C stops the
 * answer being written.
 */
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend.js';
import { generate, type StopReason } from '../../engine/generate.js';
import { loadModel, paramsFromArrays } from '../../engine/load.js';
import type { ModelConfig, Params } from '../../engine/model.js';
import { checkSampling, type SamplingOptions } from '../../engine/sampling.js';
import { TextStream } from '../../engine/text-stream.js';
import { encodeExample } from '../../formats/datasets/encode.js';
import type { Example } from '../../formats/datasets/formats.js';
import { readHfConfig } from '../../formats/hf-config.js';
import { loadTokenizer } from '../../formats/tokenizer/index.js';
import type { ChatMessage, Tokenizer } from '../../formats/tokenizer/types.js';
import { appPaths } from '../../services/home.js';
import { parseMergeSpec, runWeights, stageFromFlag, type RunWeights } from '../../services/run-weights.js';
import { RunError } from '../../services/runs.js';
import { openStore } from '../../store/index.js';
import { intFlag, numFlag, parseFlags, UsageError } from '../args.js';

const FLAGS = {
  model: { type: 'string' },
  run: { type: 'string' },
  stage: { type: 'string' },
  merge: { type: 'string' },
  alpha: { type: 'string' },
  compare: { type: 'boolean' },
  prompt: { type: 'string' },
  system: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  'max-new-tokens': { type: 'string' },
  stop: { type: 'string', multiple: true },
  seed: { type: 'string' },
  backend: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const DEFAULT_MAX_NEW_TOKENS = 256;

export type Label = 'fine-tuned' | 'base';

export interface ChatModel {
  label: Label;
  cfg: ModelConfig;
  params: Params;
}

/** How an answer ended: a stop token, a --stop string, the token budget, or Ctrl-C. */
export type AnswerStop = 'eos' | 'stop-string' | 'length' | 'interrupted';

export interface Answer {
  model: Label;
  text: string;
  /** Tokens generated, the stop token included. */
  tokens: number;
  stoppedBy: AnswerStop;
}

/** An answer with what the human summary line shows. */
export interface AnswerDetail extends Answer {
  promptTokens: number;
  /** Decode speed, from the first token (after the prefill) to the last; null under 2 tokens. */
  msPerToken: number | null;
}

export interface ChatSettings {
  sampling: SamplingOptions;
  seed: number;
  maxNewTokens: number;
  stopStrings: string[];
}

/**
 * The prompt ids for a conversation that the assistant answers next: encodeExample on the
 * conversation plus an empty assistant turn, whose promptIds are everything before that turn's
 * content: exactly what evaluation feeds the model for a row with this conversation. Without a chat
 * template, the turns' texts one after the other (an answer followed by a blank line), as plain text.
 */
export function chatPromptIds(tok: Tokenizer, messages: readonly ChatMessage[], vocabSize: number): number[] {
  let ex: Example;
  if (tok.hasChatTemplate) {
    ex = { kind: 'chat', messages: [...messages, { role: 'assistant', content: '' }] };
  } else {
    const text = messages.map((m) => (m.role === 'assistant' ? `${m.content}\n\n` : m.content)).join('');
    ex = { kind: 'pair', prompt: text, user: text, completion: '' };
  }
  const row = encodeExample(ex, tok, 0, { maxLength: Number.POSITIVE_INFINITY, vocabSize });
  if (typeof row === 'string') throw new Error(`cannot encode the conversation: ${row}`);
  if (row.promptIds === null || row.promptIds.length === 0) throw new Error('cannot encode the conversation: it gives an empty prompt');
  return row.promptIds;
}

function readSettings(values: ReturnType<typeof parseFlags<typeof FLAGS>>['values']): ChatSettings {
  const sampling: SamplingOptions = {
    temperature: numFlag(values.temperature, '--temperature', 0),
    topK: intFlag(values['top-k'], '--top-k', 0),
    topP: numFlag(values['top-p'], '--top-p', 1),
    repetitionPenalty: numFlag(values['repetition-penalty'], '--repetition-penalty', 1),
  };
  try {
    checkSampling(sampling);
  } catch (e) {
    // Name the flag the way the user typed it.
    const msg = (e as Error).message.replace(/^top_p/, '--top-p').replace(/^top_k/, '--top-k').replace(/^the repetition penalty/, '--repetition-penalty').replace(/^temperature/, '--temperature');
    throw new UsageError(msg);
  }
  const stopStrings = values.stop ?? [];
  if (stopStrings.some((s) => s === '')) throw new UsageError('--stop must not be empty');
  return {
    sampling,
    seed: intFlag(values.seed, '--seed', 0),
    maxNewTokens: intFlag(values['max-new-tokens'], '--max-new-tokens', DEFAULT_MAX_NEW_TOKENS, 1),
    stopStrings,
  };
}

/**
 * What to answer with, read and checked before any backend starts (a wrong folder or run id fails
 * fast): a model folder, or a run stage's weights on the host (merged as asked) and its base folder.
 */
type Source = { kind: 'model'; dir: string } | { kind: 'run'; rw: RunWeights; compare: boolean };

function resolveSource(values: ReturnType<typeof parseFlags<typeof FLAGS>>['values']): { source: Source; tok: Tokenizer } {
  if (values.model !== undefined) {
    readHfConfig(values.model); // fails with the folder's name when it is not a model folder
    return { source: { kind: 'model', dir: values.model }, tok: loadTokenizer(values.model) };
  }
  const runId = values.run!;
  const store = openStore(appPaths({ db: values.db }).db);
  try {
    const run = store.runs.get(runId);
    if (run == null) throw new RunError(`no run with id ${runId}; \`hft runs\` lists them`);
    const rw = runWeights(store, runId, { stage: stageFromFlag(values.stage), merge: parseMergeSpec(values.merge, values.alpha, run.seed) });
    return { source: { kind: 'run', rw, compare: values.compare === true }, tok: loadTokenizer(rw.modelDir) };
  } finally {
    store.close();
  }
}

/** The models as tensors on the current backend, base first when comparing. */
function loadChatModels(source: Source): ChatModel[] {
  if (source.kind === 'model') return [{ label: 'fine-tuned', ...loadModel(source.dir) }];
  const { rw } = source;
  const models: ChatModel[] = [];
  try {
    if (source.compare) models.push({ label: 'base', ...loadModel(rw.modelDir) });
    models.push({ label: 'fine-tuned', cfg: rw.cfg, params: paramsFromArrays(rw.cfg, rw.weights) });
  } catch (e) {
    for (const m of models) tf.dispose(Object.values(m.params));
    throw e;
  }
  return models;
}

const STOPS: Record<StopReason, AnswerStop> = { 'stop-id': 'eos', callback: 'stop-string', length: 'length', aborted: 'interrupted' };

/** One answer, streamed through `write` as it comes; timing on the side. */
export async function answer(
  m: ChatModel,
  tok: Tokenizer,
  promptIds: readonly number[],
  s: ChatSettings,
  write: (chunk: string) => void,
  signal?: AbortSignal,
): Promise<AnswerDetail> {
  const stream = new TextStream(tok, { stopStrings: s.stopStrings, stopIds: tok.stopIds });
  const times: number[] = [];
  const r = await generate(m.cfg, m.params, promptIds, {
    maxNewTokens: s.maxNewTokens,
    stopIds: tok.stopIds,
    sampling: s.sampling,
    seed: s.seed,
    signal,
    onToken: (id) => {
      times.push(performance.now());
      const chunk = stream.push(id);
      if (chunk !== '') write(chunk);
      return stream.done;
    },
  });
  const tail = stream.end();
  if (tail !== '') write(tail);
  const msPerToken = times.length >= 2 ? (times[times.length - 1] - times[0]) / (times.length - 1) : null;
  return { model: m.label, text: stream.text, tokens: r.ids.length, stoppedBy: STOPS[r.stoppedBy], msPerToken, promptTokens: promptIds.length };
}

function summary(a: AnswerDetail): string {
  const speed = a.msPerToken === null ? '' : `, ${a.msPerToken.toFixed(1)} ms/token`;
  const end = a.stoppedBy === 'interrupted' ? 'interrupted' : `stopped by ${a.stoppedBy}`;
  return `(${a.model}: ${a.tokens} tokens after a ${a.promptTokens}-token prompt${speed}, ${end})`;
}

/** Answers one user turn with every model, streamed to stdout (labelled when comparing). */
async function turn(models: ChatModel[], tok: Tokenizer, histories: ChatMessage[][], user: string, s: ChatSettings, signal?: AbortSignal): Promise<void> {
  const labelled = models.length > 1;
  for (const [k, m] of models.entries()) {
    histories[k].push({ role: 'user', content: user });
    let ids: number[];
    try {
      ids = chatPromptIds(tok, histories[k], m.cfg.vocabSize);
      if (ids.length >= m.cfg.maxSequenceLength) {
        throw new Error(`the conversation has ${ids.length} tokens, the model's length is ${m.cfg.maxSequenceLength}: no room for an answer; /reset starts over`);
      }
    } catch (e) {
      histories[k].pop();
      throw e;
    }
    if (labelled) process.stdout.write(`[${m.label}] `);
    const a = await answer(m, tok, ids, s, (c) => process.stdout.write(c), signal);
    process.stdout.write('\n');
    process.stderr.write(`${summary(a)}\n`);
    histories[k].push({ role: 'assistant', content: a.text });
  }
}

async function interactive(models: ChatModel[], tok: Tokenizer, system: ChatMessage[], s: ChatSettings): Promise<void> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, terminal: tty });
  let histories = models.map(() => [...system]);
  let current: AbortController | null = null;
  rl.on('SIGINT', () => (current !== null ? current.abort() : rl.close()));
  if (tty) {
    process.stderr.write('type a message; /reset clears the conversation, /exit or Ctrl-D ends\n');
    rl.setPrompt('> ');
    rl.prompt();
  }
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '/exit') break;
      if (line === '/reset') {
        histories = models.map(() => [...system]);
        process.stderr.write('(conversation cleared)\n');
      } else if (line.startsWith('/')) {
        process.stderr.write(`unknown command ${line.split(/\s/)[0]}: /reset clears the conversation, /exit ends\n`);
      } else if (line !== '') {
        current = new AbortController();
        try {
          await turn(models, tok, histories, line, s, current.signal);
        } catch (e) {
          process.stderr.write(`hft chat: ${(e as Error).message.split('\n')[0]}\n`);
        } finally {
          current = null;
        }
      }
      if (tty) rl.prompt();
    }
  } finally {
    rl.close();
  }
}

export async function chat(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, FLAGS);
  if ((values.model === undefined) === (values.run === undefined)) {
    throw new UsageError(values.model === undefined ? 'give --model DIR or --run RUN_ID' : 'give --model DIR or --run RUN_ID, not both');
  }
  if (values.model === '') throw new UsageError('--model must name a model folder');
  if (values.model !== undefined) {
    for (const flag of ['stage', 'merge', 'alpha', 'compare'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --run (a run's stages and base model); --model is one folder`);
    }
  }
  const json = values.json === true;
  if (json && values.prompt === undefined) throw new UsageError('--json needs --prompt (without it, hft chat is an interactive conversation)');
  const settings = readSettings(values);
  const system: ChatMessage[] = values.system === undefined ? [] : [{ role: 'system', content: values.system }];

  const { source, tok } = resolveSource(values);
  await initBackend(values.backend);
  const models = loadChatModels(source);
  try {
    if (values.prompt === undefined) return await interactive(models, tok, system, settings);
    if (!json) return await turn(models, tok, models.map(() => [...system]), values.prompt, settings);
    const promptIds = chatPromptIds(tok, [...system, { role: 'user', content: values.prompt }], models[0].cfg.vocabSize);
    const answers: Answer[] = [];
    for (const m of models) {
      const { model, text, tokens, stoppedBy } = await answer(m, tok, promptIds, settings, () => {});
      answers.push({ model, text, tokens, stoppedBy });
    }
    process.stdout.write(`${JSON.stringify({ answers, promptTokens: promptIds.length })}\n`);
  } finally {
    for (const m of models) tf.dispose(Object.values(m.params));
  }
}
