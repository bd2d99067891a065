/** Test helper: runs the real `hft` command in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HFT = fileURLToPath(new URL('../../src-main/cli/hft.mjs', import.meta.url));

export interface HftResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: <T = Record<string, unknown>>() => T;
}

export function runHft(args: string[], timeoutMs = 120_000, extraEnv: Record<string, string> = {}): HftResult {
  // The child is a plain CLI run, not a Vitest worker: drop Vitest's markers from its environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'NODE_ENV'));
  env.HFT_DEBUG = '';
  Object.assign(env, extraEnv);
  const r = spawnSync(process.execPath, [HFT, ...args], { encoding: 'utf8', timeout: timeoutMs, env });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: <T,>() => JSON.parse(r.stdout) as T,
  };
}
