/**
 * `hft probe`: which compute backend the engine picks here, why, and how fast it multiplies.
 */
import { availableBackends, initBackend, measureMatmulGflops, parseBackendName } from '../../engine/backend.js';
import { parseFlags, UsageError } from '../args.js';
import { emit } from '../output.js';

export async function probe(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { backend: { type: 'string' }, json: { type: 'boolean' } });
  try {
    parseBackendName(values.backend); // before trying every backend, which takes seconds
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const attempts = await availableBackends();
  const choice = await initBackend(values.backend);
  const matmulGflops = Number((await measureMatmulGflops()).toFixed(2));
  const available = [...new Set(attempts.filter((a) => a.ok).map((a) => a.name))];
  const result = { backend: choice.backend, available, device: choice.device, matmulGflops, reason: choice.reason, attempts };
  emit(values.json === true, result, () =>
    [
      `backend: ${choice.backend} (${choice.device})`,
      `why:     ${choice.reason}`,
      `matmul:  ${matmulGflops} GFLOP/s`,
      ...attempts.map((a) => `  ${a.ok ? 'ok  ' : 'no  '} ${a.name.padEnd(10)} ${a.detail}`),
    ].join('\n'),
  );
}
