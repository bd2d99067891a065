/**
 * The wizard's presets: balanced is the sample demo's recipe (read from resources/sample/
 * demo.plan.json), its learning rate is the demo's for the sample model's real size, quick and
 * thorough train for less and more, the longest example never exceeds the model's, and the
 * settings no preset decides start at the plan schema's defaults (read from
 * resources/plan.schema.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numel, paramSpecs } from '../../src-main/engine/param-specs.js';
import { readHfConfig } from '../../src-main/formats/hf-config.js';
import { defaultSettings, learningRateFor, matchingPreset, PRESET_NAMES, presetValues } from '../../src-renderer/presets.js';

const root = join(import.meta.dirname, '..', '..');
const sampleDir = join(root, 'resources', 'sample');
const demo = JSON.parse(readFileSync(join(sampleDir, 'demo.plan.json'), 'utf8')) as { training: Record<string, unknown> };
const schema = JSON.parse(readFileSync(join(root, 'resources', 'plan.schema.json'), 'utf8')) as {
  properties: Record<string, { properties?: Record<string, { default?: unknown; $ref?: string }>; default?: unknown }>;
  $defs: Record<string, { default?: unknown }>;
};
const schemaDefault = (section: string, key: string): unknown => {
  const p = schema.properties[section].properties?.[key];
  return p?.default ?? (p?.$ref ? schema.$defs[p.$ref.replace('#/$defs/', '')].default : undefined);
};

const cfg = readHfConfig(sampleDir);
const sample = { params: paramSpecs(cfg).reduce((n, s) => n + numel(s.shape), 0), maxLength: cfg.maxSequenceLength };

describe('presets', () => {
  it('balanced trains the sample model the way the sample demo does', () => {
    const b = presetValues('balanced', sample);
    expect(b.length).toBe('steps');
    expect(b.steps).toBe(demo.training.steps);
    expect(b.batchSize).toBe(demo.training.batchSize);
    expect(b.lr).toBe(demo.training.lr);
    expect(b.schedule).toBe(demo.training.schedule);
    expect(b.warmup).toBe(demo.training.warmup);
  });

  it('quick trains for less than balanced, thorough for more', () => {
    const [quick, balanced, thorough] = PRESET_NAMES.map((n) => presetValues(n, sample));
    expect(PRESET_NAMES).toEqual(['quick', 'balanced', 'thorough']);
    expect(quick.steps * quick.batchSize).toBeLessThan(balanced.steps * balanced.batchSize);
    expect(thorough.steps * thorough.batchSize).toBeGreaterThan(balanced.steps * balanced.batchSize);
    expect(thorough.maxExamples).toBeGreaterThan(quick.maxExamples);
  });

  it('never asks for longer examples than the model reads', () => {
    expect(sample.maxLength).toBe(128); // the sample's config.json: max_position_embeddings
    for (const n of PRESET_NAMES) expect(presetValues(n, sample).maxLength).toBe(128);
    const big = { params: 494_032_768, maxLength: 32_768 };
    expect(PRESET_NAMES.map((n) => presetValues(n, big).maxLength)).toEqual([256, 512, 1024]);
    // No model yet: the preset's own length.
    expect(presetValues('thorough', null).maxLength).toBe(1024);
  });

  it('takes smaller learning steps for bigger models', () => {
    expect(learningRateFor(sample.params)).toBe(5e-4);
    expect(learningRateFor(99_999_999)).toBe(5e-4);
    expect(learningRateFor(100_000_000)).toBe(1e-4);
    expect(learningRateFor(494_032_768)).toBe(1e-4);
    expect(learningRateFor(1_000_000_000)).toBe(2e-5);
    expect(learningRateFor(7_241_732_096)).toBe(2e-5);
  });

  it('starts the settings no preset decides at the plan schema defaults', () => {
    const s = defaultSettings('balanced', sample);
    expect(s.seed).toBe(schemaDefault('training', 'seed'));
    expect(s.backend).toBe(schema.properties.backend.default);
    expect(s.checkpointEvery).toBe(schemaDefault('training', 'checkpointEvery'));
    expect(s.freezeEmbeddings).toBe(schemaDefault('freeze', 'freezeEmbeddings'));
    expect(s.redrawEachStage).toBe(schemaDefault('freeze', 'redrawEachStage'));
    expect(s.evalFraction).toBe(schemaDefault('evaluation', 'evalFraction'));
  });

  it('knows which preset the settings still match, and when they were changed by hand', () => {
    for (const n of PRESET_NAMES) expect(matchingPreset(defaultSettings(n, sample), sample)).toBe(n);
    const s = defaultSettings('quick', sample);
    // Settings no preset decides do not make it custom.
    expect(matchingPreset({ ...s, seed: 7, backend: 'wasm', checkpointEvery: 0, freezeEmbeddings: true }, sample)).toBe('quick');
    expect(matchingPreset({ ...s, lr: 1e-3 }, sample)).toBeNull();
    expect(matchingPreset({ ...s, length: 'epochs' }, sample)).toBeNull();
    expect(matchingPreset({ ...s, batchSize: 4 }, sample)).toBeNull();
    // The same values are not "quick" for a model whose preset values differ (its learning rate).
    expect(matchingPreset(s, { params: 7e9, maxLength: 4096 })).toBeNull();
  });
});
