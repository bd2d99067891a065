/**
 * The parameter list of a LLaMA-family model, by Hugging Face name and shape.
 *
 * Loading, masks, the optimizer and export all key on these names
 * (`model.layers.3.self_attn.q_proj.weight`), so there is no name translation anywhere.
 */
import type { ModelConfig } from '../formats/hf-config.js';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Layer index for per-layer tensors, null for embeddings, final norm and lm_head. */
  layer: number | null;
  /** The tensor's category: what HFT's category-level rule chooses among. */
  kind: ParamKind;
}

export type ParamKind =
  | 'embed'
  | 'q'
  | 'k'
  | 'v'
  | 'o'
  | 'gate'
  | 'up'
  | 'down'
  | 'input_norm'
  | 'post_norm'
  | 'final_norm'
  | 'lm_head';

export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.hiddenSize;
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [cfg.vocabSize, d], layer: null, kind: 'embed' }];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    const add = (name: string, shape: number[], kind: ParamKind) => specs.push({ name: `${p}.${name}`, shape, layer: i, kind });
    add('input_layernorm.weight', [d], 'input_norm');
    add('self_attn.q_proj.weight', [qDim, d], 'q');
    if (cfg.attentionBias) add('self_attn.q_proj.bias', [qDim], 'q');
    add('self_attn.k_proj.weight', [kvDim, d], 'k');
    if (cfg.attentionBias) add('self_attn.k_proj.bias', [kvDim], 'k');
    add('self_attn.v_proj.weight', [kvDim, d], 'v');
    if (cfg.attentionBias) add('self_attn.v_proj.bias', [kvDim], 'v');
    add('self_attn.o_proj.weight', [d, qDim], 'o');
    add('post_attention_layernorm.weight', [d], 'post_norm');
    add('mlp.gate_proj.weight', [cfg.intermediateSize, d], 'gate');
    add('mlp.up_proj.weight', [cfg.intermediateSize, d], 'up');
    add('mlp.down_proj.weight', [d, cfg.intermediateSize], 'down');
  }
  specs.push({ name: 'model.norm.weight', shape: [d], layer: null, kind: 'final_norm' });
  if (!cfg.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [cfg.vocabSize, d], layer: null, kind: 'lm_head' });
  return specs;
}

export const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
