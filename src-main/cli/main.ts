/**
 * `hft` command-line entry (DESIGN §6): dispatches to one module per command.
 *
 * Every failure ends as one line on stderr (`hft: <reason>`) and a non-zero exit;
 * set HFT_DEBUG=1 to see the stack.
 */
import { UsageError } from './args.js';
import { explain } from './explain.js';

type Command = (argv: string[]) => Promise<void>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  probe: { summary: 'pick the compute backend and measure it', load: async () => (await import('./commands/probe.js')).probe },
  mask: { summary: 'show which tensors a stage trains', load: async () => (await import('./commands/mask.js')).mask },
  score: { summary: "a model's loss on a tokenized dataset", load: async () => (await import('./commands/score.js')).score },
  train: { summary: 'train one HFT stage and write the model', load: async () => (await import('./commands/train.js')).train },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  hft ${name.padEnd(8)} ${c.summary}`);
  return ['usage: hft <command> [flags]   (every command takes --json)', ...lines].join('\n');
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
  try {
    await (await command.load())(rest);
    return 0;
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`hft ${name}: ${explain(err)}\n`);
    if (process.env.HFT_DEBUG) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

// Exit explicitly: a GPU backend (Dawn) can keep the event loop alive after the work is done.
// stdout/stderr to pipes and files are synchronous on Linux, so nothing written is lost.
process.exit(await main(process.argv.slice(2)));
