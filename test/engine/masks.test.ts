/**
 * Tests for HFT masks: the paper's category rule held exactly at ratio 0.5 over many seeds and
 * stages (llama and qwen2 with biases), its generalisation to other ratios, the matrix / layer /
 * parameter / full strategies, determinism, per-stage redraws, bookkeeping, and input validation.
 */
import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../src-main/formats/hf-config.js';
import {
  STRATEGIES,
  drawMask,
  elementMask,
  parseMaskSpec,
  type Mask,
  type MaskSpec,
  type Strategy,
} from '../../src-main/engine/masks.js';
import { numel, paramSpecs, type ParamKind, type ParamSpec } from '../../src-main/engine/param-specs.js';

function specsFor(layers: number, modelType: 'llama' | 'qwen2' = 'llama', tie = false): ParamSpec[] {
  return paramSpecs(
    parseHfConfig({
      model_type: modelType,
      vocab_size: 64,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: layers,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      tie_word_embeddings: tie,
    }),
  );
}

const spec = (over: Partial<MaskSpec> = {}): MaskSpec => ({
  strategy: 'category',
  ratio: 0.5,
  seed: 0,
  stage: 0,
  freezeEmbeddings: false,
  ...over,
});

const EMBED: ParamKind[] = ['embed', 'final_norm', 'lm_head'];
const ATTN: ParamKind[] = ['q', 'k', 'v', 'o'];
const FFN: ParamKind[] = ['gate', 'up', 'down'];
const NORMS: ParamKind[] = ['input_norm', 'post_norm'];

/** Trainable kinds per layer (weights only, so each kind counts once). */
function kindsPerLayer(specs: ParamSpec[], mask: Mask): Map<number, ParamKind[]> {
  const on = new Set(mask.trainable);
  const out = new Map<number, ParamKind[]>();
  for (const s of specs) {
    if (s.layer === null || !s.name.endsWith('.weight')) continue;
    if (!out.has(s.layer)) out.set(s.layer, []);
    if (on.has(s.name)) out.get(s.layer)!.push(s.kind);
  }
  return out;
}

function checkBookkeeping(specs: ParamSpec[], mask: Mask): void {
  const names = specs.map((s) => s.name);
  expect([...mask.trainable, ...mask.frozen].sort()).toEqual([...names].sort());
  expect(new Set([...mask.trainable, ...mask.frozen]).size).toBe(names.length);
  // both lists keep paramSpecs order
  const idx = new Map(names.map((n, i) => [n, i]));
  for (const list of [mask.trainable, mask.frozen]) {
    const order = list.map((n) => idx.get(n)!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }
  const size = new Map(specs.map((s) => [s.name, numel(s.shape)]));
  expect(mask.totalParams).toBe(specs.reduce((a, s) => a + numel(s.shape), 0));
  if (mask.strategy !== 'parameter') {
    expect(mask.trainableParams).toBe(mask.trainable.reduce((a, n) => a + size.get(n)!, 0));
  }
}

const layerParams = (specs: ParamSpec[], names: string[]): number => {
  const set = new Set(names);
  return specs.filter((s) => s.layer !== null && set.has(s.name)).reduce((a, s) => a + numel(s.shape), 0);
};

describe('category strategy at ratio 0.5 (the paper rule, exactly)', () => {
  for (const [L, arch] of [[4, 'llama'], [5, 'llama'], [8, 'qwen2'], [7, 'qwen2'], [1, 'llama']] as const) {
    it(`holds for ${arch} with ${L} layers over many seeds and stages`, () => {
      const specs = specsFor(L, arch);
      for (let seed = 0; seed < 15; seed++) {
        for (let stage = 0; stage < 4; stage++) {
          const mask = drawMask(specs, spec({ seed, stage }));
          checkBookkeeping(specs, mask);
          const perLayer = kindsPerLayer(specs, mask);
          expect(perLayer.size).toBe(L);
          let twoFfn = 0;
          for (const kinds of perLayer.values()) {
            expect(kinds.filter((k) => ATTN.includes(k))).toHaveLength(2);
            expect(kinds.filter((k) => NORMS.includes(k))).toHaveLength(1);
            const f = kinds.filter((k) => FFN.includes(k)).length;
            expect([1, 2]).toContain(f);
            if (f === 2) twoFfn++;
          }
          expect(twoFfn).toBe(Math.ceil(L / 2)); // round(L/2), halves up
          // biases follow their matrix
          const on = new Set(mask.trainable);
          for (const s of specs.filter((p) => p.name.endsWith('.bias'))) {
            expect(on.has(s.name)).toBe(on.has(s.name.replace(/\.bias$/, '.weight')));
          }
          // embeddings, final norm and lm_head trainable by default
          for (const s of specs.filter((p) => EMBED.includes(p.kind))) expect(on.has(s.name)).toBe(true);
        }
      }
    });
  }

  it('has qwen2 biases in the parameter list', () => {
    expect(specsFor(2, 'qwen2').some((s) => s.name.endsWith('q_proj.bias'))).toBe(true);
  });

  it('freezes embeddings, final norm and lm_head with freezeEmbeddings, and nothing else changes', () => {
    for (const tie of [false, true]) {
      const specs = specsFor(6, 'llama', tie);
      const a = drawMask(specs, spec({ seed: 3 }));
      const b = drawMask(specs, spec({ seed: 3, freezeEmbeddings: true }));
      const embedNames = specs.filter((s) => EMBED.includes(s.kind)).map((s) => s.name);
      expect(embedNames).toHaveLength(tie ? 2 : 3);
      for (const n of embedNames) expect(b.frozen).toContain(n);
      expect(b.trainable).toEqual(a.trainable.filter((n) => !embedNames.includes(n)));
      checkBookkeeping(specs, b);
    }
  });

  it('draws every attention pair and both FFN counts per layer across seeds (random, not fixed)', () => {
    const specs = specsFor(4);
    const pairs = new Set<string>();
    const ffnCounts = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      const perLayer = kindsPerLayer(specs, drawMask(specs, spec({ seed })));
      pairs.add(perLayer.get(0)!.filter((k) => ATTN.includes(k)).join(','));
      ffnCounts.add([...perLayer.values()].map((ks) => ks.filter((k) => FFN.includes(k)).length).join(''));
    }
    expect(pairs.size).toBe(6);
    expect(ffnCounts.size).toBe(6); // C(4,2) ways to choose the two-FFN layers
  });
});

describe('category strategy at other ratios', () => {
  it('trains the closest whole-tensor count per group, spread evenly over layers', () => {
    const L = 8;
    const specs = specsFor(L, 'qwen2');
    for (const ratio of [0.1, 0.25, 0.3, 0.4, 0.6, 0.75, 0.9]) {
      for (let seed = 0; seed < 5; seed++) {
        const mask = drawMask(specs, spec({ ratio, seed, stage: seed }));
        checkBookkeeping(specs, mask);
        const perLayer = [...kindsPerLayer(specs, mask).values()];
        for (const group of [ATTN, FFN, NORMS]) {
          const counts = perLayer.map((ks) => ks.filter((k) => group.includes(k)).length);
          const total = group.length * L;
          const n = Math.min(total, Math.max(1, Math.round(ratio * total)));
          expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('trains everything at ratio 1 and at least one tensor per group at tiny ratios', () => {
    const specs = specsFor(4);
    expect(drawMask(specs, spec({ ratio: 1 })).frozen).toEqual([]);
    const tiny = drawMask(specs, spec({ ratio: 0.001, freezeEmbeddings: true }));
    expect(tiny.trainable).toHaveLength(3);
    expect(new Set(tiny.trainable.map((n) => specs.find((s) => s.name === n)!.kind)).size).toBe(3);
  });
});

describe('determinism and redraws', () => {
  const strategies: Strategy[] = ['category', 'matrix', 'layer', 'parameter', 'full'];
  it('gives identical output for identical input', () => {
    const specs = specsFor(6, 'qwen2');
    for (const strategy of strategies) {
      for (const ratio of [0.3, 0.5]) {
        const s = spec({ strategy, ratio, seed: 11, stage: 2 });
        expect(JSON.stringify(drawMask(specs, s))).toBe(JSON.stringify(drawMask(specs, { ...s })));
      }
    }
  });

  it('redraws per stage and per seed', () => {
    const specs = specsFor(8);
    for (const strategy of ['category', 'matrix', 'layer'] as const) {
      const draws = new Set<string>();
      for (let stage = 0; stage < 10; stage++) draws.add(drawMask(specs, spec({ strategy, stage })).trainable.join());
      expect(draws.size).toBeGreaterThanOrEqual(strategy === 'layer' ? 5 : 9);
      const a = drawMask(specs, spec({ strategy, stage: 0 })).trainable.join();
      const b = drawMask(specs, spec({ strategy, stage: 1 })).trainable.join();
      const c = drawMask(specs, spec({ strategy, seed: 1 })).trainable.join();
      if (strategy !== 'layer') expect(new Set([a, b, c]).size).toBe(3);
    }
    const e0 = elementMask(specs[2], spec({ strategy: 'parameter', stage: 0 }));
    const e1 = elementMask(specs[2], spec({ strategy: 'parameter', stage: 1 }));
    expect(Buffer.from(e0).equals(Buffer.from(e1))).toBe(false);
  });

  it('is JSON-serialisable with the masks.json key order', () => {
    const mask = drawMask(specsFor(2), spec());
    expect(Object.keys(mask)).toEqual([
      'strategy', 'ratio', 'seed', 'stage', 'freezeEmbeddings', 'trainable', 'frozen', 'trainableParams', 'totalParams',
    ]);
    expect(JSON.parse(JSON.stringify(mask))).toEqual(mask);
  });
});

describe('matrix and layer strategies', () => {
  it('matrix: whole tensors, layer-parameter fraction within one tensor of the ratio', () => {
    const specs = specsFor(6, 'qwen2');
    const layerTotal = specs.filter((s) => s.layer !== null).reduce((a, s) => a + numel(s.shape), 0);
    const unitSize = new Map<string, number>(); // a layer's kind: weight + bias
    for (const s of specs.filter((p) => p.layer !== null)) {
      unitSize.set(`${s.layer}/${s.kind}`, (unitSize.get(`${s.layer}/${s.kind}`) ?? 0) + numel(s.shape));
    }
    const maxUnit = Math.max(...unitSize.values());
    for (const ratio of [0.1, 0.33, 0.5, 0.8]) {
      for (let seed = 0; seed < 10; seed++) {
        const mask = drawMask(specs, spec({ strategy: 'matrix', ratio, seed }));
        checkBookkeeping(specs, mask);
        expect(Math.abs(layerParams(specs, mask.trainable) - ratio * layerTotal)).toBeLessThanOrEqual(maxUnit);
        const on = new Set(mask.trainable);
        for (const s of specs.filter((p) => p.name.endsWith('.bias'))) {
          expect(on.has(s.name)).toBe(on.has(s.name.replace(/\.bias$/, '.weight')));
        }
        for (const s of specs.filter((p) => EMBED.includes(p.kind))) expect(on.has(s.name)).toBe(true);
      }
    }
    const frozenEmb = drawMask(specs, spec({ strategy: 'matrix', freezeEmbeddings: true }));
    expect(frozenEmb.frozen).toContain('model.embed_tokens.weight');
    expect(frozenEmb.frozen).toContain('lm_head.weight');
    expect(frozenEmb.frozen).toContain('model.norm.weight');
  });

  it('layer: whole decoder layers, round(ratio·L) of them (halves up, at least one)', () => {
    for (const L of [4, 5, 8]) {
      const specs = specsFor(L);
      for (const ratio of [0.01, 0.25, 0.5, 0.7, 1]) {
        for (let seed = 0; seed < 8; seed++) {
          const mask = drawMask(specs, spec({ strategy: 'layer', ratio, seed, stage: 1 }));
          checkBookkeeping(specs, mask);
          const perLayer = [...kindsPerLayer(specs, mask).values()];
          const full = perLayer.filter((ks) => ks.length === 9).length;
          expect(perLayer.filter((ks) => ks.length === 0).length + full).toBe(L);
          expect(full).toBe(Math.max(1, Math.round(ratio * L)));
        }
      }
    }
  });
});

describe('parameter and full strategies', () => {
  it('parameter: all tensors in the optimizer, exact element counts per tensor', () => {
    const specs = specsFor(2, 'qwen2');
    for (const ratio of [0.1, 0.5, 0.77, 1]) {
      const ms = spec({ strategy: 'parameter', ratio, seed: 4, stage: 3 });
      const mask = drawMask(specs, ms);
      checkBookkeeping(specs, mask);
      expect(mask.trainable).toEqual(specs.map((s) => s.name));
      let total = 0;
      for (const s of specs) {
        const m = elementMask(s, ms);
        expect(m).toHaveLength(numel(s.shape));
        const ones = m.reduce((a, b) => a + b, 0);
        expect(ones).toBe(Math.round(ratio * numel(s.shape)));
        expect(Buffer.from(elementMask(s, ms)).equals(Buffer.from(m))).toBe(true);
        total += ones;
      }
      expect(mask.trainableParams).toBe(total);
    }
    // different tensors of the same shape get different masks
    const a = elementMask(specs.find((s) => s.kind === 'gate')!, spec({ strategy: 'parameter' }));
    const b = elementMask(specs.find((s) => s.kind === 'up')!, spec({ strategy: 'parameter' }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('parameter: elements are spread uniformly over the tensor', () => {
    const big: ParamSpec = { name: 'x', shape: [100, 100], layer: 0, kind: 'gate' };
    const m = elementMask(big, spec({ strategy: 'parameter', ratio: 0.5 }));
    const firstHalf = m.subarray(0, 5000).reduce((a, b) => a + b, 0);
    expect(Math.abs(firstHalf - 2500)).toBeLessThan(200);
  });

  it('parameter with freezeEmbeddings freezes embeddings whole', () => {
    const specs = specsFor(2);
    const ms = spec({ strategy: 'parameter', freezeEmbeddings: true });
    const mask = drawMask(specs, ms);
    expect(mask.frozen).toEqual(['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight']);
    expect(elementMask(specs[0], ms).every((x) => x === 0)).toBe(true);
    const expected = specs.filter((s) => s.layer !== null).reduce((a, s) => a + Math.round(0.5 * numel(s.shape)), 0);
    expect(mask.trainableParams).toBe(expected);
  });

  it('elementMask throws for other strategies', () => {
    const specs = specsFor(1);
    for (const strategy of STRATEGIES.filter((s) => s !== 'parameter')) {
      expect(() => elementMask(specs[1], spec({ strategy }))).toThrow(/parameter/);
    }
  });

  it('full: everything trainable, ratio reported as 1', () => {
    const specs = specsFor(3, 'qwen2');
    const mask = drawMask(specs, spec({ strategy: 'full', ratio: 0.3 }));
    expect(mask.ratio).toBe(1);
    expect(mask.frozen).toEqual([]);
    expect(mask.trainableParams).toBe(mask.totalParams);
    checkBookkeeping(specs, mask);
  });
});

describe('parseMaskSpec', () => {
  it('applies defaults and parses strings', () => {
    expect(parseMaskSpec({})).toEqual({ strategy: 'category', ratio: 0.5, seed: 0, stage: 0, freezeEmbeddings: false });
    expect(parseMaskSpec({ strategy: 'layer', ratio: '0.25', seed: '7', stage: ' 2 ', freezeEmbeddings: true })).toEqual({
      strategy: 'layer', ratio: 0.25, seed: 7, stage: 2, freezeEmbeddings: true,
    });
    expect(parseMaskSpec({ strategy: 'full' }).ratio).toBe(1);
    expect(parseMaskSpec({ ratio: 1 }).ratio).toBe(1);
    expect(STRATEGIES).toEqual(['category', 'matrix', 'layer', 'parameter', 'full']);
  });

  it('rejects bad values with one-line messages naming them', () => {
    const cases: [Parameters<typeof parseMaskSpec>[0], RegExp][] = [
      [{ strategy: 'halves' }, /"halves".*category, matrix, layer, parameter, full/],
      [{ strategy: '' }, /""/],
      [{ ratio: 0 }, /ratio.*0/],
      [{ ratio: 1.5 }, /ratio.*1\.5/],
      [{ ratio: -0.2 }, /ratio.*-0\.2/],
      [{ ratio: 'half' }, /ratio.*"half"/],
      [{ ratio: '' }, /ratio/],
      [{ ratio: Number.NaN }, /ratio/],
      [{ seed: -1 }, /seed.*-1/],
      [{ seed: 1.5 }, /seed.*1\.5/],
      [{ seed: 'abc' }, /seed.*"abc"/],
      [{ stage: '1.2' }, /stage.*1\.2/],
      [{ freezeEmbeddings: 'yes' as unknown as boolean }, /freezeEmbeddings.*"yes"/],
    ];
    for (const [raw, re] of cases) {
      let message = '';
      try {
        parseMaskSpec(raw);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, JSON.stringify(raw)).toMatch(re);
      expect(message).not.toContain('\n');
    }
  });

  it('drawMask validates its spec too', () => {
    expect(() => drawMask(specsFor(1), spec({ ratio: 2 }))).toThrow(/ratio/);
    expect(() => drawMask(specsFor(1), spec({ strategy: 'nope' as Strategy }))).toThrow(/valid strategies/);
  });
});
