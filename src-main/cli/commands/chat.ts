/**
 * `hft chat`: the playground on the command line. Talks to a model folder (--model) or to a run's
 * trained weights (--run, optionally merged with the base model), streaming each answer as it is
 * generated; --compare answers with the run's base model and the fine-tuned one, one after the other.
 *
 * Each answer is engine/chat.ts's: the prompt encoded as evaluation encodes it, streamed, ending at
 * the tokenizer's stop ids, a --stop string or --max-new-tokens (capped by the model's length).
 * Greedy unless --temperature > 0.
 *
 * --prompt answers once; without it, a loop on stdin: each line is a user turn, the history goes
 * back through the template, `/reset` clears it, `/exit` or end of input ends. Ctrl-C stops the
 * answer being written.
 */
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend.js';
import { answer, chatPromptIds, type Answer, type AnswerDetail, type ChatModel, type ChatSettings } from '../../engine/chat.js';
import { conversationIds, loadChatModel } from '../../engine/chat-model.js';
import { checkSampling, type SamplingOptions } from '../../engine/sampling.js';
import { readHfConfig } from '../../formats/hf-config.js';
import { loadTokenizer } from '../../formats/tokenizer/index.js';
import type { ChatMessage, Tokenizer } from '../../formats/tokenizer/types.js';
import { appPaths } from '../../services/home.js';
import { parseMergeSpec, runWeights, stageFromFlag, type RunWeights } from '../../services/run-weights.js';
import { LISTED, requireRun } from '../../services/runs.js';
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
    const run = requireRun(store, runId, LISTED);
    const rw = runWeights(store, runId, { stage: stageFromFlag(values.stage), merge: parseMergeSpec(values.merge, values.alpha, run.seed) });
    return { source: { kind: 'run', rw, compare: values.compare === true }, tok: loadTokenizer(rw.modelDir) };
  } finally {
    store.close();
  }
}

/** The models as tensors on the current backend, base first when comparing. */
function loadChatModels(source: Source): ChatModel[] {
  if (source.kind === 'model') return [loadChatModel('fine-tuned', source.dir)];
  const { rw } = source;
  const models: ChatModel[] = [];
  try {
    if (source.compare) models.push(loadChatModel('base', rw.modelDir));
    models.push(loadChatModel('fine-tuned', rw.modelDir, rw.weights));
  } catch (e) {
    for (const m of models) tf.dispose(Object.values(m.params));
    throw e;
  }
  return models;
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
      ids = conversationIds(tok, histories[k], m.cfg, '/reset starts over');
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
