/**
 * A stage's recorded mask (the list of tensor names it trained) as the mask picture's grid:
 * grid[layer][kind], kinds in the contract's LAYER_KINDS order (q, k, v, o, gate, up, down, the
 * two norms). The names are Hugging Face's (`model.layers.3.self_attn.q_proj.weight`), the names
 * the engine trains and records under; a bias counts with its weight, as in the HFT rule.
 */
import { LAYER_KINDS, type LayerKind } from '../src-main/contract/index.js';

/** What the mask picture draws: the same fields as the contract's MaskView, from either source. */
export interface MaskPictureData {
  /** grid[layer][kind index]: is that tensor trained. */
  grid: boolean[][];
  /** Embeddings, final norm and output layer (they train or freeze together). */
  embeddingsTrained: boolean;
}

const LAYER_TENSOR = /^model\.layers\.(\d+)\.(?:self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj|(input_layernorm|post_attention_layernorm))\.(?:weight|bias)$/;

/** The layer and kind a tensor name belongs to, or null for tensors outside the layers. */
export function layerTensor(name: string): { layer: number; kind: LayerKind } | null {
  const m = LAYER_TENSOR.exec(name);
  if (m === null) return null;
  const kind = (m[2] ?? m[3] ?? (m[4] === 'input_layernorm' ? 'input_norm' : 'post_norm')) as LayerKind;
  return { layer: Number(m[1]), kind };
}

/** How many layers the names reach (highest layer index + 1). */
export function layersNamed(names: readonly string[]): number {
  let layers = 0;
  for (const name of names) {
    const t = layerTensor(name);
    if (t !== null) layers = Math.max(layers, t.layer + 1);
  }
  return layers;
}

/** The picture of a model with `layers` layers where exactly the `trainable` tensors train. */
export function gridFromTrainable(trainable: readonly string[], layers: number): MaskPictureData {
  const grid = Array.from({ length: layers }, () => LAYER_KINDS.map(() => false));
  for (const name of trainable) {
    const t = layerTensor(name);
    if (t !== null && t.layer < layers) grid[t.layer][LAYER_KINDS.indexOf(t.kind)] = true;
  }
  return { grid, embeddingsTrained: trainable.includes('model.embed_tokens.weight') };
}
