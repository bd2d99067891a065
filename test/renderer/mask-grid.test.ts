/**
 * The mask picture's grid from a stage's recorded tensor names: every layer tensor of a llama and a
 * qwen2 model (biases included) lands in the layer and kind that engine/param-specs.ts gives it,
 * and a drawn HFT mask (engine/masks.ts) becomes the grid of exactly its tensors.
 */
import { describe, expect, it } from 'vitest';
import { LAYER_KINDS } from '../../src-main/contract/index.js';
import { drawMask } from '../../src-main/engine/masks.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { parseHfConfig } from '../../src-main/formats/hf-config.js';
import { gridFromTrainable, layersNamed, layerTensor } from '../../src-renderer/mask-grid.js';

const base = {
  hidden_size: 32, intermediate_size: 64, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2,
  vocab_size: 100, max_position_embeddings: 64, rms_norm_eps: 1e-6, rope_theta: 10000,
};
const llama = paramSpecs(parseHfConfig({ ...base, model_type: 'llama', tie_word_embeddings: false }));
const qwen2 = paramSpecs(parseHfConfig({ ...base, model_type: 'qwen2', tie_word_embeddings: true }));

describe('layerTensor', () => {
  it.each([['llama', llama], ['qwen2 (with q/k/v biases)', qwen2]])('places every tensor of %s as param-specs does', (_name, specs) => {
    expect(specs.some((s) => s.name.endsWith('.bias'))).toBe(_name.startsWith('qwen2'));
    for (const s of specs) {
      const got = layerTensor(s.name);
      if (s.layer === null) expect(got, s.name).toBeNull();
      else expect(got, s.name).toEqual({ layer: s.layer, kind: s.kind });
    }
  });

  it('ignores names outside the layers and look-alikes', () => {
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight', 'model.norm.weight', 'model.layers.x.self_attn.q_proj.weight', 'model.layers.0.self_attn.q_proj.weight.extra', 'model.layers.0.mlp.fc1.weight']) {
      expect(layerTensor(name), name).toBeNull();
    }
  });
});

describe('gridFromTrainable', () => {
  it('draws a category mask as exactly its tensors, 2 of q, k, v, o per layer at 0.5', () => {
    for (const stage of [0, 1, 2]) {
      const mask = drawMask(llama, { strategy: 'category', ratio: 0.5, seed: 7, stage, freezeEmbeddings: false });
      const trained = new Set(mask.trainable);
      const picture = gridFromTrainable(mask.trainable, layersNamed(llama.map((s) => s.name)));
      expect(picture.grid.length).toBe(3);
      for (let layer = 0; layer < 3; layer++) {
        LAYER_KINDS.forEach((kind, i) => {
          const spec = llama.find((s) => s.layer === layer && s.kind === kind);
          expect(picture.grid[layer][i], `layer ${layer} ${kind}`).toBe(trained.has(spec!.name));
        });
        expect(picture.grid[layer].slice(0, 4).filter(Boolean).length).toBe(2);
      }
      expect(picture.embeddingsTrained).toBe(true);
    }
  });

  it('marks a qwen2 kind trained by its bias alone, and frozen embeddings as frozen', () => {
    const picture = gridFromTrainable(['model.layers.1.self_attn.k_proj.bias'], 3);
    expect(picture.grid[1]).toEqual([false, true, false, false, false, false, false, false, false]);
    expect(picture.grid[0].some(Boolean) || picture.grid[2].some(Boolean)).toBe(false);
    expect(picture.embeddingsTrained).toBe(false);
  });

  it('keeps layers nothing trained in, and counts layers from the names', () => {
    expect(layersNamed(['model.layers.4.mlp.up_proj.weight', 'lm_head.weight'])).toBe(5);
    expect(layersNamed([])).toBe(0);
    const picture = gridFromTrainable(['model.layers.0.post_attention_layernorm.weight'], 2);
    expect(picture.grid).toEqual([[false, false, false, false, false, false, false, false, true], new Array(9).fill(false)]);
  });
});
