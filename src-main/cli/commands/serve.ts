/**
 * `hft serve`: the app's interface in a browser (DESIGN §6, §8). Opens the run database, serves the
 * built renderer and the contract over a WebSocket on 127.0.0.1 (transport/ws-server.ts), prints
 * the page's URL with its per-launch token as one line on stdout, and runs until Ctrl+C or SIGTERM.
 *
 * The interface is read from out/renderer. When it is missing, or older than its sources
 * (src-renderer/, src-main/contract/), it is built first with electron-vite, into a temporary
 * folder that is then moved into place, so two servers starting at once never serve half a build.
 *
 * Port: --port P uses exactly P (0 = any free port) and fails if P is taken; without --port the
 * server tries 5183 and, if that is taken, any free port.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiHandlers, type ApiContext } from '../../services/api.js';
import { ChatSessions } from '../../services/chat-sessions.js';
import { LiveRuns } from '../../services/live-runs.js';
import { appPaths } from '../../services/home.js';
import { openStore } from '../../store/index.js';
import { PortInUseError, startServer, type RunningServer, type ServerOptions } from '../../transport/ws-server.js';
import { intFlag, parseFlags, UsageError } from '../args.js';

/** The port tried when --port is not given; any free port if it is taken. */
export const DEFAULT_PORT = 5183;
/** A build took 2-20 s on two cores (measured); give up after 10 minutes. */
const BUILD_TIMEOUT_MS = 10 * 60_000;

/** The folder holding hft-studio's package.json, walking up from this file. */
export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'hft-studio') return dir;
      } catch {
        // A broken package.json further down is not ours; keep walking up.
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find hft-studio's package.json above ${from}`);
  }
}

/** Newest modification time (ms) of any file under `dir`, or 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Why the interface must be (re)built, or null when out/renderer is current. */
export function buildReason(root: string, rendererDir: string): string | null {
  const index = join(rendererDir, 'index.html');
  if (!existsSync(index)) return 'building the interface (first run, a few seconds)...';
  const sources = Math.max(newestMtime(join(root, 'src-renderer')), newestMtime(join(root, 'src-main', 'contract')));
  return sources > statSync(index).mtimeMs ? 'the interface changed since it was built; rebuilding it (a few seconds)...' : null;
}

/** Builds the renderer with electron-vite into a temporary folder, then moves it to `rendererDir`. */
export async function buildRenderer(root: string, rendererDir: string): Promise<void> {
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  if (!existsSync(cli)) throw new Error(`cannot build the interface: electron-vite is not installed (run \`npm ci\` in ${root})`);
  const outRoot = dirname(rendererDir);
  mkdirSync(outRoot, { recursive: true });
  const tmp = await mkdtemp(join(outRoot, '.serve-build-'));
  try {
    const output: string[] = [];
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(process.execPath, [cli, 'build', '--outDir', tmp], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
      child.stdout.on('data', (b: Buffer) => output.push(b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => output.push(b.toString('utf8')));
      child.on('error', fail);
      child.on('close', done);
    });
    if (code !== 0) {
      const last = output.join('').split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-1)[0] ?? 'no output';
      throw new Error(`building the interface failed (electron-vite exited with ${code ?? 'a signal'}): ${last}`);
    }
    await rm(rendererDir, { recursive: true, force: true });
    try {
      await rename(join(tmp, 'renderer'), rendererDir);
    } catch (e) {
      // Another `hft serve` finished its build first: use that one.
      if (!existsSync(join(rendererDir, 'index.html'))) throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function startOnPort(opts: ServerOptions, explicit: boolean): Promise<RunningServer> {
  try {
    return await startServer(opts);
  } catch (e) {
    if (explicit || !(e instanceof PortInUseError)) throw e;
    process.stderr.write(`port ${opts.port} is taken; using a free port instead\n`);
    return startServer({ ...opts, port: 0 });
  }
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      done(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    port: { type: 'string' },
    db: { type: 'string' },
    ui: { type: 'string' },
    json: { type: 'boolean' },
  });
  const explicitPort = values.port !== undefined;
  const port = intFlag(values.port, '--port', DEFAULT_PORT, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);

  let rendererDir: string;
  if (values.ui !== undefined) {
    rendererDir = resolve(values.ui);
  } else {
    const root = projectRoot();
    rendererDir = join(root, 'out', 'renderer');
    const reason = buildReason(root, rendererDir);
    if (reason !== null) {
      process.stderr.write(`${reason}\n`);
      await buildRenderer(root, rendererDir);
    }
  }

  const paths = appPaths({ db: values.db });
  const store = openStore(paths.db);
  // Live runs report through `emit` (progress, checkpoints); the server exists only after the
  // handlers, so the events reach it late-bound.
  let listening: RunningServer | null = null;
  const emit: NonNullable<ApiContext['emit']> = (event, data) => listening?.broadcast(event, data);
  const runs = new LiveRuns(store, paths.home, (e) => emit('run.event', e));
  const chats = new ChatSessions(store, (e) => emit('chat.event', e));
  const handlers = apiHandlers({ store, home: paths.home, live: runs, chats, emit });
  let server: RunningServer;
  try {
    server = await startOnPort({ handlers, rendererDir, port }, explicitPort);
    listening = server;
  } catch (e) {
    store.close();
    throw e;
  }
  const stopped = untilSignal();
  process.stdout.write(values.json === true ? `${JSON.stringify({ url: server.url, port: server.port, token: server.token })}\n` : `${server.url}\n`);
  process.stderr.write(
    [
      `HFT Studio is running: open the address above in a browser (it includes this session's key; do not share it).`,
      `Only this computer can reach it. To use it from another computer, run there: ssh -L ${server.port}:127.0.0.1:${server.port} <this host>, then open the same address.`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  await stopped;
  process.stderr.write('stopping (live runs stop at a checkpoint and can be resumed)...\n');
  try {
    await Promise.all([runs.stopAll(), chats.stopAll()]);
    await server.close();
  } finally {
    store.close();
  }
}
