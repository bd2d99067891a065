/**
 * The peak memory of one training step (forward + backward + clipping + AdamW) on OUR engine:
 * what train-step.ts, model.ts and optimizer.ts allocate, counted tensor by tensor from the code.
 * Pure arithmetic, no tfjs: the wizard shows it before anything is loaded. Bytes are live tensor
 * bytes (every tensor is float32 or int32, 4 bytes an element); an allocator's caching (WebGPU's
 * buffer pool) and a kernel's own scratch space come on top.
 *
 * Between steps (persistent). All weights, float32 on every backend (load.ts widens BF16/F16),
 * frozen ones as plain tensors, trainable ones as tf.Variables: 4·P. AdamW's m and v for the
 * trainable tensors only: 8·Pt (Pt = elements of the tensors in mask.trainable), plus for the
 * `parameter` strategy a 1-byte element mask per partly trained tensor.
 *
 * The tape. tf.variableGrads records every kernel of the forward and keeps the tensors its gradient
 * needs (tfjs's inputsToSave / outputsToSave) as Identity clones until the backward ends. On wasm
 * that Identity COPIES the buffer, one copy per saving kernel ('copied'); on cpu and webgpu it
 * shares it ('shared'; tfjs-node is taken to share too). The forward's other tensors are freed when
 * its tidy ends. The backward frees nothing until it ends: every intermediate gradient (dy of every
 * recorded tensor on a path from a trainable tensor to the loss) stays, and so does what a custom
 * gradient computes (the loss's five [N, V] tensors). Accumulating a tensor's gradients frees the
 * old sum unless it is a reshape view of another gradient.
 *
 * Two moments bound the forward and backward. The forward's end: every output of every layer is
 * still alive (the tidy has not ended), plus on wasm the copies. The backward's end: what the tape
 * kept plus every intermediate gradient; usually the larger, but on wasm with a short backward
 * (frozen embeddings, top layers trained) the forward's end wins. N = B·T, q = H·hd, kv = K·hd,
 * S = B·H·T·T (scores), counts of tensors of each shape:
 *
 *   per layer                     [N,d] [N,1] [N,q] [N,kv] [B,H,T,T] [N,ff]
 *   forward outputs                 10     6  10.5    9.5      3        5
 *   kept, shared                    10     6     9      8      2        5
 *   kept, copied (one per saver)    17     6    14     13      5        6   + the layer's weights,
 *                                                                             mask [T,T], 4 rope [T,hd]
 *   backward intermediates          15     4  10.5    9.5      3        6
 *   (q/k/v biases: +1 [N,q] +2 [N,kv] in each of the first three rows)
 *
 *   kept per layer, shared: each norm's x², x·r, out [N,d] and mean, +eps, rsqrt [N,1]; o, h+o,
 *     down, h+o+down [N,d]; q: projection, x·cos, rotate_half, ·sin, sum, transposed, and the
 *     halves x1, -x2; k the same but its sum; v: projection, transposed; scores, softmax; attention
 *     out, merged [N,q]; gate, up, σ(gate), gate·σ, ·up [N,ff]. Copied: each of those once per
 *     kernel that saves it (x by square, x·r and the residual add; a norm's out by the 3 projections
 *     or by gate and up; the rotary input by x·cos and both slices; softmax by itself, a reshape and
 *     the matmul), and every constant and weight a kernel saves.
 *   backward per layer: d of each projection input (3 and 2 tensors, with their sums); each norm
 *     5 [N,d] (d x·r, d x², and x's three: d via x·r, d via x², their sum) and 2 [N,1]; q: d merged,
 *     d attention out, d heads, d q·scale, d rope sum, d rotate_half, 3 d x (pad, pad, x·cos) and
 *     3 halves; k the same without the first two and the scale; v: d heads, d projection; scores:
 *     d probs, dy·y (softmax's gradient keeps it), d scores; MLP: d h, d gate·σ, d up, d σ, gate's 2.
 *
 *   head (once)                   [N,d] [N,1] int[N] [N,V]
 *   forward outputs                  4     3     1      1   + rope 2 [T,hd], mask [T,T]
 *   kept, shared                     4     5     2      1   + rope 2 [T,hd], mask [T,T]
 *   copies at the forward's end      5     3     2      1   + final norm and lm_head weights
 *   kept, copied                     5     5     4      3   + final norm and lm_head weights
 *   backward intermediates           5     3     3      5
 *
 * Layers below the lowest trainable one get no backward when the embeddings are frozen (tfjs
 * prunes the tape); that lowest layer is counted whole, so there this is a slight overestimate.
 * Gradients (dW) exist for trainable tensors only: 4·Pt; a tied embedding's two gradients (lm_head
 * and lookup) are summed last, the sum made before the first is freed: 2 more [V,d].
 *
 * After the backward, its intermediates are gone; then, on top of the persistent part and the
 * 4·Pt of gradients: the global norm (always taken, clip.ts) squares every gradient inside one
 * tidy: +4·Pt; the `parameter` strategy's gradient masking: +2 tensors of the largest masked one;
 * AdamW updates one tensor at a time in a tidy of 14 same-sized tensors (13 without weight decay,
 * +1 where an element mask selects): +56·n for the largest trainable tensor. The step's peak is
 * the largest of the four moments; its parts are those of the one that wins. Tensors of a few
 * elements (scalars, [d]-sized norm intermediates) are left out.
 */
import type { ModelConfig } from '../formats/hf-config.js';
import type { Mask } from './masks.js';
import { numel, paramSpecs } from './param-specs.js';

/** How the tape keeps a saved tensor: its own copy (wasm) or a reference to the same buffer. */
export type SavedTensors = 'copied' | 'shared';

/** wasm's Identity kernel copies; cpu's and webgpu's share (tensorflow is taken to share too). */
export const savedTensorsOn = (backend: string): SavedTensors => (backend === 'wasm' ? 'copied' : 'shared');

export interface StepShape {
  /** Rows per micro-batch (B). */
  batchSize: number;
  /** Tokens per row after padding (T): the longest row of the batch. */
  seqLen: number;
  saved: SavedTensors;
  /** AdamW's decoupled weight decay is on (one more tensor in the update); default true. */
  weightDecay?: boolean;
}

export interface MemoryParts {
  /** All weights, float32. */
  weights: number;
  /** dW of the trainable tensors (and, while the norm is taken, their squares). */
  gradients: number;
  /** AdamW's m and v (and element masks), plus the update's temporaries when that is the peak. */
  optimizer: number;
  /**
   * The forward's tensors the step holds (all at the forward's end, what the tape keeps at the
   * backward's end; on wasm with the tape's copies, weights included) and the backward's
   * intermediate gradients.
   */
  activations: number;
}

export interface StepMemory {
  peakBytes: number;
  /** Where the peak is: the end of the forward or the backward, the gradient norm/masking, or the AdamW update. */
  phase: 'forward' | 'backward' | 'gradients' | 'update';
  parts: MemoryParts;
}

const BYTES = 4; // float32 and int32 alike

/** Element counts of the activation shapes of a [B, T] micro-batch. */
function sizes(cfg: ModelConfig, B: number, T: number) {
  const N = B * T;
  return {
    N, // [N], [N,1], int32 [N]
    nd: N * cfg.hiddenSize, // [N,d]
    nq: N * cfg.numHeads * cfg.headDim, // [N,q] = [B,T,H,hd]
    nkv: N * cfg.numKvHeads * cfg.headDim, // [N,kv]
    nff: N * cfg.intermediateSize, // [N,ff]
    scores: B * cfg.numHeads * T * T, // [B·K, nRep, T, T]
    nv: N * cfg.vocabSize, // [N,V]
    rope: T * cfg.headDim, // one cos or sin table [T,1,hd]
    mask: T * T, // the causal mask [T,T]
  };
}

/**
 * One layer's floats: every output of its forward (alive until the forward's tidy ends), what the
 * tape keeps of them, and the backward's intermediates (see the table above).
 */
function layerFloats(cfg: ModelConfig, B: number, T: number, saved: SavedTensors, layerParams: number) {
  const { N, nd, nq, nkv, nff, scores, rope, mask } = sizes(cfg, B, T);
  const bias = cfg.attentionBias ? nq + 2 * nkv : 0; // each projection before + b
  // All outputs: the kept ones and those no kernel saves: q·(1/√hd), k's rope sum, -x2's inputs, x+mask.
  const outputs = 10 * nd + 6 * N + 10.5 * nq + 9.5 * nkv + 3 * scores + 5 * nff + bias;
  const shared = 10 * nd + 6 * N + 9 * nq + 8 * nkv + 2 * scores + 5 * nff + bias;
  // One copy per saving kernel, of constants and weights too (the biases' add saves b).
  const copies = 17 * nd + 6 * N + 14 * nq + 13 * nkv + 5 * scores + 6 * nff + bias + mask + 4 * rope + layerParams;
  const backward = 15 * nd + 4 * N + 10.5 * nq + 9.5 * nkv + 3 * scores + 6 * nff;
  return saved === 'shared' ? { forwardEnd: outputs, kept: shared, backward } : { forwardEnd: outputs + copies, kept: copies, backward };
}

/** The same for the embedding, final norm, lm_head and loss, once per step. */
function headFloats(cfg: ModelConfig, B: number, T: number, saved: SavedTensors) {
  const { N, nd, nv, rope, mask } = sizes(cfg, B, T);
  const d = cfg.hiddenSize;
  // Lookup out, the final norm's x², x·r, out and ms, a, r, the input ids, logits, rope, mask.
  const outputs = 4 * nd + 3 * N + N + nv + 2 * rope + mask;
  // Kept, shared: those outputs, plus the loss's logsumexp [N,1], target weights and ids [N].
  const shared = outputs + 3 * N;
  // Copies by the forward's end: the norm's x (×2), x², x·r, out, ms, a, r; the lookup's and the
  // reshape's ids; the logits (saved by their reshape); the final norm's and lm_head's weights.
  const forwardCopies = 5 * nd + 3 * N + 2 * N + nv + d + cfg.vocabSize * d;
  // Then the loss: the ids tensor itself, copies of logits (×2: a reshape, the loss), lse, weights, targets.
  const copies = forwardCopies + N + 2 * nv + 3 * N;
  // d of the norm's input (as a sum), x, x·r, x², out; dr, da, the loss's scale; its range and
  // (n, t_n) pairs int32 [N], [N,2]; its softmax, exp, scaled, scattered one-hot, and the result.
  const backward = 5 * nd + 3 * N + 3 * N + 5 * nv;
  return saved === 'shared'
    ? { forwardEnd: outputs, kept: shared, backward }
    : { forwardEnd: outputs + forwardCopies, kept: copies, backward };
}

/** Estimated peak bytes of one optimizer step of one micro-batch of shape [B, T], training `mask`. */
export function estimateStepMemory(cfg: ModelConfig, mask: Mask, shape: StepShape): StepMemory {
  const { batchSize: B, seqLen: T, saved } = shape;
  if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(T) && T >= 1)) {
    throw new Error(`memory estimate: batch size and sequence length must be whole numbers of at least 1, got ${B} and ${T}`);
  }
  const specs = paramSpecs(cfg);
  const trained = new Set(mask.trainable);
  const size = new Map(specs.map((s) => [s.name, numel(s.shape)]));
  const totalParams = specs.reduce((a, s) => a + numel(s.shape), 0);
  const trainableSizes = mask.trainable.map((n) => size.get(n) ?? 0);
  const trainableParams = trainableSizes.reduce((a, n) => a + n, 0);
  const largest = Math.max(0, ...trainableSizes);

  // The parameter strategy's element masks (optimizer.ts): 1 byte an element, kept between steps,
  // for the tensors of which it trains fewer than all elements.
  const masked = mask.strategy === 'parameter' ? trainableSizes.filter((n) => Math.round(mask.ratio * n) < n) : [];
  const maskBytes = masked.reduce((a, n) => a + n, 0);
  const largestMasked = Math.max(0, ...masked);

  const weights = BYTES * totalParams;
  const optimizer = 2 * BYTES * trainableParams + maskBytes;
  const gradients = BYTES * trainableParams;

  // Backward covers every layer when the embedding trains, else those from the lowest trainable one.
  const trainedLayers = specs.filter((s) => s.layer !== null && trained.has(s.name)).map((s) => s.layer as number);
  const lowest = trainedLayers.length === 0 ? cfg.numLayers : Math.min(...trainedLayers);
  const backwardLayers = trained.has('model.embed_tokens.weight') ? cfg.numLayers : cfg.numLayers - lowest;
  const layerParams = specs.filter((s) => s.layer === 0).reduce((a, s) => a + numel(s.shape), 0);
  const layer = layerFloats(cfg, B, T, saved, layerParams);
  const head = headFloats(cfg, B, T, saved);
  const atBackwardEnd = BYTES * (cfg.numLayers * layer.kept + backwardLayers * layer.backward + head.kept + head.backward);
  const atForwardEnd = BYTES * (cfg.numLayers * layer.forwardEnd + head.forwardEnd);
  const tiedSum = cfg.tieWordEmbeddings && trained.has('model.embed_tokens.weight') ? 2 * BYTES * cfg.vocabSize * cfg.hiddenSize : 0;

  const temporaries = (shape.weightDecay === false ? 13 : 14) + (largestMasked > 0 ? 1 : 0);
  const at = (phase: StepMemory['phase'], parts: MemoryParts): StepMemory => ({
    peakBytes: parts.weights + parts.gradients + parts.optimizer + parts.activations,
    phase,
    parts,
  });
  const phases = [
    at('forward', { weights, gradients: 0, optimizer, activations: atForwardEnd }),
    at('backward', { weights, gradients: gradients + tiedSum, optimizer, activations: atBackwardEnd }),
    at('gradients', { weights, gradients: gradients + Math.max(gradients, 2 * BYTES * largestMasked), optimizer, activations: 0 }),
    at('update', { weights, gradients, optimizer: optimizer + temporaries * BYTES * largest, activations: 0 }),
  ];
  return phases.reduce((a, b) => (b.peakBytes > a.peakBytes ? b : a));
}
