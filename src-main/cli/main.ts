/**
 * `hft` command-line entry (DESIGN §6): dispatches to one module per command.
 *
 * Every failure ends as one line on stderr (`hft: <reason>`) and a non-zero exit;
 * set HFT_DEBUG=1 to see the stack.
 */
import { DEFAULT_PLAN_VALUES } from '../formats/plan-types.js';
import { UsageError } from './args.js';
import { explain } from './explain.js';

type Command = (argv: string[]) => Promise<void>;

type FlagHelp = [flag: string, what: string][];

interface CommandEntry {
  summary: string;
  /** Flags with their defaults, shown by `hft <command> --help`. */
  flags: FlagHelp;
  /** Lines shown after the flags. */
  notes?: string[];
  load: () => Promise<Command>;
}

const BACKEND: FlagHelp = [['--backend B', 'tensorflow | webgpu | wasm | cpu (default: the best that works)']];
const MASK: FlagHelp = [
  ['--strategy S', "category (default, the paper's) | matrix | layer | parameter | full"],
  ['--ratio R', "fraction of each layer's tensors trained, 0 < R <= 1 (default 0.5)"],
  ['--seed N --stage K', 'the draw: same seed and stage, same mask (defaults 0, 0)'],
  ['--freeze-embeddings', 'freeze embeddings, final norm and lm_head too (they train by default)'],
];
const DATA: FlagHelp = [
  ['--model DIR', 'Hugging Face model folder'],
  ['--data FILE', 'JSONL rows {"input_ids": [...], "labels": [...]}; labels optional, -100 = not trained'],
];

const DB: [string, string] = ['--db FILE', 'the run database (default: $HFT_HOME/hft.db, HFT_HOME defaults to ~/.hft-studio)'];

const COMMANDS: Record<string, CommandEntry> = {
  probe: { summary: 'pick the compute backend and measure it', flags: BACKEND, load: async () => (await import('./commands/probe.js')).probe },
  mask: {
    summary: 'show which tensors a stage trains',
    flags: [['--model DIR', 'Hugging Face model folder (config.json is enough)'], ...MASK],
    load: async () => (await import('./commands/mask.js')).mask,
  },
  score: { summary: "a model's loss on a tokenized dataset", flags: [...DATA, ...BACKEND], load: async () => (await import('./commands/score.js')).score },
  train: {
    summary: 'train one HFT stage and write the model',
    flags: [
      ...DATA,
      ['--out DIR', 'where the trained model goes: new or empty, or pass --force'],
      ...MASK,
      ['--steps N | --epochs N', 'optimizer steps (default: 1 epoch)'],
      ['--batch-size N', 'rows per micro-batch (default 1)'],
      ['--grad-accum N', 'micro-batches per optimizer step (default 1)'],
      ['--lr X', 'peak learning rate (default 1e-4)'],
      ['--lr-schedule S', 'constant | cosine (default cosine)'],
      ['--warmup N', 'linear warmup steps (default 0)'],
      ['--weight-decay X', 'AdamW decoupled weight decay (default 0)'],
      ['--clip-norm X', 'clip gradients to this global norm, 0 = off (default 1)'],
      ['--no-shuffle', 'file order, cycling (default: shuffled per epoch from --seed)'],
      ['--dtype D', 'F32 | F16 | BF16 stored weights (default: the source model\'s)'],
      ...BACKEND,
    ],
    load: async () => (await import('./commands/train.js')).train,
  },
  preview: {
    summary: 'exactly what a dataset will train, row by row',
    flags: [
      ['--model DIR', 'Hugging Face model folder (its tokenizer and chat template are used)'],
      ['--data FILE', 'JSONL, JSON array or CSV: alpaca, messages, prompt/completion, text or tokenized rows'],
      ['--n N', 'rows to show (default 5)'],
      ['--format F', 'skip detection: alpaca | messages | prompt-completion | text | tokenized'],
      ['--max-length N', "cut rows to N tokens (default: the model's context)"],
    ],
    load: async () => (await import('./commands/preview.js')).preview,
  },
  run: {
    summary: 'run a multi-stage plan (PLAN.json), recorded and resumable',
    flags: [
      ['PLAN.json', 'the plan: model, ordered tasks, freeze ratio, settings (schema: resources/plan.schema.json)'],
      DB,
    ],
    notes: planDefaults(),
    load: async () => (await import('./commands/run.js')).run,
  },
  runs: { summary: 'the run history', flags: [DB], load: async () => (await import('./commands/runs.js')).runs },
  resume: {
    summary: 'continue a stopped or failed run from its newest checkpoint',
    flags: [['RUN_ID', 'from `hft runs`'], DB],
    load: async () => (await import('./commands/resume.js')).resume,
  },
  export: {
    summary: 'write a run\'s model for Transformers, llama.cpp or Ollama',
    flags: [
      ['RUN_ID', 'from `hft runs`'],
      ['--out DIR', 'the folder to write: new or empty, or pass --force to replace it'],
      ['--stage K', 'the weights after stage K, counted from 1 (default: the last finished)'],
      ['--format F', 'safetensors (a Hugging Face folder, the base model\'s dtypes; default) | gguf (model.gguf + Ollama Modelfile)'],
      ['--type T', 'GGUF tensor type: F32 | F16 (default) | Q8_0'],
      ['--merge M', 'none (default) | average: alpha x fine-tuned + (1 - alpha) x base | half-reset: a random half of the layers\' tensors back to base'],
      ['--alpha A', 'the fine-tuned share for --merge average, 0..1 (default 0.5)'],
      DB,
    ],
    notes: ['`hft merges RUN_ID` shows what each merge keeps before you choose one.'],
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  merges: {
    summary: 'what each merge with the base model keeps: its forgetting matrix, before you export',
    flags: [
      ['RUN_ID', 'from `hft runs`'],
      ['--alpha A', 'the fine-tuned share of the average, 0..1 (default 0.5)'],
      ['--seed N', 'which random half the half-reset resets (default: the run\'s seed)'],
      DB,
    ],
    load: async () => (await import('./commands/merges.js')).merges,
  },
  chat: {
    summary: 'talk to a model or a run, streamed; --compare answers with the base model too',
    flags: [
      ['--model DIR | --run RUN_ID', "a Hugging Face model folder, or a run's trained weights (`hft runs` lists them)"],
      ['--stage K', 'with --run: the weights after stage K, from 1 (default: the last finished)'],
      ['--merge M --alpha A', 'with --run: none (default) | average (alpha fine-tuned + (1 - alpha) base, default 0.5) | half-reset'],
      ['--compare', 'with --run: answer with the base model too, labelled'],
      ['--prompt TEXT', 'answer once and exit (default: a conversation on stdin; /reset clears it, /exit ends)'],
      ['--system TEXT', 'a system message first'],
      ['--temperature T', '0 = greedy (default); > 0 samples'],
      ['--top-k K', 'keep the K most likely tokens, 0 = off (default)'],
      ['--top-p P', 'keep the most likely tokens up to probability P, 0 < P <= 1 (default 1 = off)'],
      ['--repetition-penalty R', '> 1 discourages repeats (default 1 = off)'],
      ['--max-new-tokens N', "answer length limit (default 256, capped by the model's length)"],
      ['--stop S', 'end the answer at this text, not shown (repeatable)'],
      ['--seed N', 'sampling draws: same seed, same answer (default 0)'],
      DB,
      ...BACKEND,
    ],
    load: async () => (await import('./commands/chat.js')).chat,
  },
  serve: {
    summary: 'the app in a browser: prints http://127.0.0.1:PORT/?token=... and runs until Ctrl+C',
    flags: [
      ['--port P', 'port on 127.0.0.1 (default 5183, or any free port if that is taken); 0 = any free port'],
      ['--ui DIR', 'serve an already built interface from DIR (default: out/renderer, built on first run)'],
      DB,
    ],
    notes: ['Only this computer can reach it. From another computer: ssh -L P:127.0.0.1:P <host>, then open the printed address (same port on both sides).'],
    load: async () => (await import('./commands/serve.js')).serve,
  },
  demo: {
    summary: 'the sample model and tasks, trained with HFT and with full fine-tuning, side by side',
    flags: [DB, ...BACKEND],
    load: async () => (await import('./commands/demo.js')).demo,
  },
};

function commandHelp(name: string, c: CommandEntry): string {
  const rows: FlagHelp = [...c.flags, ['--json', 'one JSON object on stdout (progress stays on stderr)']];
  return [`hft ${name}: ${c.summary}`, ...rows.map(([flag, what]) => `  ${flag.padEnd(24)} ${what}`), ...(c.notes ?? [])].join('\n');
}

/** What a plan gets for the fields it leaves out, section by section. */
function planDefaults(): string[] {
  const { backend, ...sections } = DEFAULT_PLAN_VALUES;
  const lines = Object.entries(sections).map(([section, values]) => {
    const fields = Object.entries(values).map(([k, v]) => `${k} ${v === null ? '-' : String(v)}`);
    return `    ${section}: ${fields.join(', ')}`;
  });
  return ['plan defaults (tasks train 1 epoch unless they give epochs or steps):', ...lines, `    backend: ${backend}`];
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  hft ${name.padEnd(8)} ${c.summary}`);
  return ['usage: hft <command> [flags]   (hft <command> --help lists its flags)', ...lines].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`hft: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp(name, command)}\n`);
    return 0;
  }
  try {
    await (await command.load())(rest);
    return typeof process.exitCode === 'number' ? process.exitCode : 0; // a command may report bad rows and still print
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`hft ${name}: ${explain(err)}\n`);
    if (process.env.HFT_DEBUG) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

// Exit explicitly, since a GPU backend (Dawn) can keep the event loop alive after the work is done,
// but only once stdout has flushed: pipes are asynchronous on macOS, and the JSON result must arrive whole.
const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
