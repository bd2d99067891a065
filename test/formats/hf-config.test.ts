/** config.json parsing: the three supported families, their defaults, and plain refusals. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseHfConfig } from '../../src-main/formats/hf-config.js';

const llama = {
  model_type: 'llama',
  vocab_size: 128,
  hidden_size: 64,
  intermediate_size: 160,
  num_hidden_layers: 2,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  rope_theta: 500000,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
  max_position_embeddings: 32,
};

describe('parseHfConfig', () => {
  it('reads a llama config with GQA, tied head and rope_theta', () => {
    const c = parseHfConfig(llama);
    expect(c).toMatchObject({ modelType: 'llama', numHeads: 8, numKvHeads: 2, headDim: 8, ropeTheta: 500000, rmsNormEps: 1e-5, tieWordEmbeddings: true, attentionBias: false });
  });

  it('gives qwen2 its q/k/v biases and mistral its defaults', () => {
    expect(parseHfConfig({ ...llama, model_type: 'qwen2' }).attentionBias).toBe(true);
    const m = parseHfConfig({ ...llama, model_type: 'mistral', num_key_value_heads: undefined, rope_theta: undefined, tie_word_embeddings: undefined });
    expect(m).toMatchObject({ numKvHeads: 8, ropeTheta: 10000, tieWordEmbeddings: false });
  });

  it('limits sequences to the context, or to the sliding window where one applies', () => {
    expect(parseHfConfig(llama).maxSequenceLength).toBe(32);
    expect(parseHfConfig({ ...llama, model_type: 'mistral', sliding_window: 16 }).maxSequenceLength).toBe(16);
    expect(parseHfConfig({ ...llama, model_type: 'mistral', sliding_window: null }).maxSequenceLength).toBe(32);
    expect(parseHfConfig({ ...llama, model_type: 'qwen2', sliding_window: 16 }).maxSequenceLength).toBe(32);
    expect(parseHfConfig({ ...llama, model_type: 'qwen2', sliding_window: 16, use_sliding_window: true }).maxSequenceLength).toBe(16);
  });

  it('refuses the llama/mistral bias options it does not model', () => {
    expect(() => parseHfConfig({ ...llama, attention_bias: true })).toThrow(/"attention_bias": true is not supported yet for llama/);
    expect(() => parseHfConfig({ ...llama, model_type: 'mistral', mlp_bias: true })).toThrow(/"mlp_bias"/);
    expect(parseHfConfig({ ...llama, model_type: 'qwen2', attention_bias: true }).attentionBias).toBe(true);
  });

  it('honours an explicit head_dim', () => {
    expect(parseHfConfig({ ...llama, head_dim: 16 }).headDim).toBe(16);
  });

  it('refuses other architectures, naming the supported ones', () => {
    expect(() => parseHfConfig({ ...llama, model_type: 'gpt2' })).toThrow(/unsupported model_type "gpt2": supported are llama, mistral, qwen2/);
    expect(() => parseHfConfig({ ...llama, model_type: undefined })).toThrow(ConfigError);
  });

  it('refuses inconsistent shapes with the field named', () => {
    expect(() => parseHfConfig({ ...llama, num_key_value_heads: 3 })).toThrow(/multiple of num_key_value_heads/);
    expect(() => parseHfConfig({ ...llama, hidden_size: -1 })).toThrow(/"hidden_size" must be a positive integer/);
    expect(() => parseHfConfig({ ...llama, hidden_size: 60 })).toThrow(/not divisible/);
    expect(() => parseHfConfig({ ...llama, hidden_act: 'gelu' })).toThrow(/hidden_act/);
    expect(() => parseHfConfig({ ...llama, rope_scaling: { rope_type: 'yarn' } })).toThrow(/rope_scaling/);
    expect(() => parseHfConfig([1, 2])).toThrow(/JSON object/);
  });
});
