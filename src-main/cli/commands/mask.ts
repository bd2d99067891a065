/**
 * `hft mask`: the tensors one HFT stage trains and freezes, drawn from (strategy, ratio, seed, stage).
 *
 * The human view is a grid of layers × categories; `--json` is the Mask object that `train` also
 * writes as mask.json.
 */
import { readHfConfig } from '../../formats/hf-config.js';
import { drawMask, parseMaskSpec, type Mask } from '../../engine/masks.js';
import { paramSpecs, type ParamSpec } from '../../engine/param-specs.js';
import { parseFlags, required } from '../args.js';
import { emit } from '../output.js';

export const MASK_FLAGS = {
  strategy: { type: 'string' },
  ratio: { type: 'string' },
  seed: { type: 'string' },
  stage: { type: 'string' },
  'freeze-embeddings': { type: 'boolean' },
} as const;

export function maskFromFlags(specs: ParamSpec[], values: { [K in keyof typeof MASK_FLAGS]?: string | boolean }): Mask {
  return drawMask(
    specs,
    parseMaskSpec({
      strategy: values.strategy as string | undefined,
      ratio: values.ratio as string | undefined,
      seed: values.seed as string | undefined,
      stage: values.stage as string | undefined,
      freezeEmbeddings: values['freeze-embeddings'] === true,
    }),
  );
}

const COLUMNS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'input_norm', 'post_norm'] as const;
const HEADINGS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'norm1', 'norm2'];

export function maskGrid(specs: ParamSpec[], mask: Mask): string {
  const trained = new Set(mask.trainable);
  const layers = Math.max(...specs.map((s) => s.layer ?? -1)) + 1;
  const header = `layer  ${HEADINGS.map((c) => c.padEnd(5)).join(' ')}`;
  const rows = [header];
  for (let i = 0; i < layers; i++) {
    const cells = COLUMNS.map((kind) => {
      const names = specs.filter((s) => s.layer === i && s.kind === kind).map((s) => s.name);
      return (names.some((n) => trained.has(n)) ? 'train' : '  .  ').padEnd(5);
    });
    rows.push(`${String(i).padStart(5)}  ${cells.join(' ')}`);
  }
  const global = specs.filter((s) => s.layer === null).map((s) => `${s.name}: ${trained.has(s.name) ? 'train' : 'frozen'}`);
  const pct = ((100 * mask.trainableParams) / mask.totalParams).toFixed(1);
  return [
    `strategy ${mask.strategy}, ratio ${mask.ratio}, seed ${mask.seed}, stage ${mask.stage}`,
    ...rows,
    ...global,
    `trainable ${mask.trainableParams.toLocaleString('en-US')} of ${mask.totalParams.toLocaleString('en-US')} parameters (${pct}%)`,
  ].join('\n');
}

export async function mask(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, { model: { type: 'string' }, json: { type: 'boolean' }, ...MASK_FLAGS });
  const specs = paramSpecs(readHfConfig(required(values.model, '--model')));
  const m = maskFromFlags(specs, values);
  emit(values.json === true, m, () => maskGrid(specs, m));
}
