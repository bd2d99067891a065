/**
 * The LLaMA-family decoder (Hugging Face `llama`, `mistral`, `qwen2`) in tfjs-core ops, top to
 * bottom like nanoGPT's model.py: config, rmsNorm, rope, attention (GQA), mlp (SwiGLU), block,
 * forward, loss.
 *
 * The same block code serves generation: forwardCached runs new positions against the keys and
 * values of earlier ones (a KV cache), with RoPE at a position offset. With no cache, attention
 * does exactly the ops it always did, so training's numerics do not depend on generation.
 *
 * Parameters are a plain map from HF tensor names to tensors, so loading and export are key maps.
 * Trainable tensors are tf.Variables and frozen ones plain tensors; tf.variableGrads(f, varList)
 * then computes gradients only along paths from the listed variables (tfjs prunes the tape), so
 * frozen weights cost no gradient work. All maths is float32. Ops were chosen for their gradients:
 * the embedding and the cross entropy carry their own (custom) gradients, because tfjs's gather
 * gradient (UnsortedSegmentSum, O(vocab) kernel launches on cpu) and a one-hot cross entropy are
 * slow or memory hungry at real vocabulary sizes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../formats/hf-config.js';

export type { ModelConfig };
/** HF tensor name -> tensor (tf.Variable for trainable ones). */
export type Params = Record<string, tf.Tensor>;

/** Labels with this value are not predicted (HF's ignore_index). */
export const IGNORE_INDEX = -100;

/** Additive causal mask value: finite so that softmax never sees -inf - -inf. */
const MASKED = -1e9;

function get(params: Params, name: string): tf.Tensor {
  const t = params[name];
  if (t === undefined) throw new Error(`model parameter "${name}" is missing`);
  return t;
}

/**
 * Copies of projection weights in [in, out] layout, keyed by the [out, in] tensor they copy
 * (generate.ts inputMajorWeights). Generation only: it multiplies the same weights by one row per
 * step, and on wasm x @ W^T transposes an operand that XNNPACK then packs anew on every call, while
 * a persistent [in, out] operand is packed once and cached by the backend (~5x faster per matmul).
 */
export type InputMajor = ReadonlyMap<tf.Tensor, tf.Tensor>;

/**
 * x @ w^T (+ b), with w in nn.Linear layout [out, in]; as x @ wt when `im` has w's [in, out]
 * copy wt. x [N, in] -> [N, out].
 */
function linear(x: tf.Tensor2D, w: tf.Tensor, b?: tf.Tensor, im?: InputMajor | null): tf.Tensor2D {
  const wt = im?.get(w);
  const y = (wt === undefined ? tf.matMul(x, w, false, true) : tf.matMul(x, wt)) as tf.Tensor2D; // [N, out]
  return b === undefined ? y : tf.add<tf.Tensor2D>(y, b);
}

// ----------------------------------------------------------------------------- embedding

/**
 * Token embedding lookup with a scatter-add gradient. tfjs's own gather gradient goes through
 * UnsortedSegmentSum, which on the cpu backend loops over all V rows; scatterND sums duplicate
 * indices in one pass. ids [N] int32 -> [N, d].
 */
function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [w, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([ids]);
    return {
      value: tf.gather(w, ids) as tf.Tensor2D, // [N, d]
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [tf.scatterND(tf.expandDims(saved[0], 1), dy, table.shape)], // [V, d]
    };
  });
  return lookup(table);
}

// ----------------------------------------------------------------------------- rmsNorm

/** x * rsqrt(mean(x^2) + eps) * w over the last axis. x [N, d], w [d] -> [N, d]. */
export function rmsNorm(x: tf.Tensor2D, w: tf.Tensor, eps: number): tf.Tensor2D {
  const ms = tf.mean(tf.square(x), -1, true); // [N, 1]
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w);
}

// ----------------------------------------------------------------------------- rope

/**
 * cos/sin tables [T, hd] of HF's rotary embedding for positions offset .. offset+T-1:
 * inv_freq = 1 / theta^(2i/hd), emb = cat(freqs, freqs). Rounded to float32 at each step as torch
 * computes them (position * inv_freq is a float32 product there, whatever the offset).
 */
function ropeTables(cfg: ModelConfig, T: number, offset = 0): { cos: Float32Array; sin: Float32Array } {
  const hd = cfg.headDim;
  const half = hd / 2;
  const f = Math.fround;
  const invFreq = Array.from({ length: half }, (_, i) => f(1 / f(Math.pow(cfg.ropeTheta, f((2 * i) / hd)))));
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = f((offset + t) * invFreq[i]);
      cos[t * hd + i] = cos[t * hd + half + i] = Math.cos(angle);
      sin[t * hd + i] = sin[t * hd + half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** cat(-x2, x1) over the last axis. [B, T, n, hd] -> [B, T, n, hd]. */
function rotateHalf(x: tf.Tensor4D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const x1 = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, half]); // [B, T, n, hd/2]
  const x2 = tf.slice(x, [0, 0, 0, half], [-1, -1, -1, half]); // [B, T, n, hd/2]
  return tf.concat([tf.neg(x2), x1], 3);
}

/** x * cos + rotate_half(x) * sin. x [B, T, n, hd], cos/sin [T, 1, hd] (broadcast over B, n). */
function applyRope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
  return tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin));
}

// ----------------------------------------------------------------------------- attention

/**
 * One layer's keys (after RoPE) and values for every position seen so far, in the layout attention
 * multiplies with. KV heads only (GQA's sharing is in the query layout): nKV/nH of repeated K/V.
 * A type alias, not an interface, so that tf.tidy accepts it as a TensorContainer.
 */
export type LayerKv = {
  k: tf.Tensor3D; // [B*nKV, S, hd]
  v: tf.Tensor3D; // [B*nKV, S, hd]
};

interface Ctx {
  B: number;
  T: number; // new positions in this call
  cos: tf.Tensor3D; // [T, 1, hd], of positions S-T .. S-1
  sin: tf.Tensor3D; // [T, 1, hd]
  mask: tf.Tensor2D | null; // [T, S], 0 where the key is at or before the query, MASKED after; null: none masked
  /** Generation only: earlier positions' K/V per layer (read), and this call's full K/V (written). */
  kv: { past: readonly LayerKv[]; present: LayerKv[] } | null;
  im: InputMajor | null; // generation only
}

/** Additive causal mask [T, S] for T queries at positions S-T .. S-1 over S keys. */
function causalMask(T: number, S: number): tf.Tensor2D {
  const m = new Float32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = S - T + i + 1; j < S; j++) m[i * S + j] = MASKED;
  return tf.tensor2d(m, [T, S]);
}

/** RoPE tables and causal mask for T new positions after `past` earlier ones. */
function context(cfg: ModelConfig, B: number, T: number, past: number, mask: boolean, kv: Ctx['kv'], im: InputMajor | null): Ctx {
  const hd = cfg.headDim;
  const { cos, sin } = ropeTables(cfg, T, past);
  return {
    B,
    T,
    cos: tf.tensor3d(cos, [T, 1, hd]),
    sin: tf.tensor3d(sin, [T, 1, hd]),
    mask: mask ? causalMask(T, past + T) : null,
    kv,
    im,
  };
}

/**
 * Causal self-attention with grouped KV heads. Query head h = kv * nRep + r reads KV head kv
 * (HF's repeat_kv). Instead of copying K/V nRep times, the nRep query heads that share a KV head
 * are stacked along the row axis of one matmul. With a cache (ctx.kv), the T new queries attend to
 * the S = past + T keys of layer `layer`. x [B*T, d] -> [B*T, d].
 */
function attention(cfg: ModelConfig, params: Params, layer: number, x: tf.Tensor2D, ctx: Ctx): tf.Tensor2D {
  const p = `model.layers.${layer}.self_attn`;
  const { B, T } = ctx;
  const { numHeads: nH, numKvHeads: nKV, headDim: hd } = cfg;
  const nRep = nH / nKV;
  const bias = (n: string) => (cfg.attentionBias ? get(params, `${p}.${n}.bias`) : undefined);
  const proj = (n: string, heads: number) =>
    tf.reshape(linear(x, get(params, `${p}.${n}.weight`), bias(n), ctx.im), [B, T, heads, hd]) as tf.Tensor4D; // [B, T, heads, hd]

  // Scale q rather than the [T, T] scores: same maths, fewer multiplies.
  const q = tf.mul(applyRope(proj('q_proj', nH), ctx.cos, ctx.sin), 1 / Math.sqrt(hd)); // [B, T, nH, hd]
  const k = applyRope(proj('k_proj', nKV), ctx.cos, ctx.sin); // [B, T, nKV, hd]
  const v = proj('v_proj', nKV); // [B, T, nKV, hd]

  const qh = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [B * nKV, nRep * T, hd]); // [B*nKV, nRep*T, hd]
  let kh = tf.reshape(tf.transpose(k, [0, 2, 1, 3]), [B * nKV, T, hd]) as tf.Tensor3D; // [B*nKV, T, hd]
  let vh = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [B * nKV, T, hd]) as tf.Tensor3D; // [B*nKV, T, hd]
  if (ctx.kv) {
    const past = ctx.kv.past[layer];
    if (past) {
      kh = tf.concat([past.k, kh], 1); // [B*nKV, S, hd]
      vh = tf.concat([past.v, vh], 1); // [B*nKV, S, hd]
    }
    ctx.kv.present.push({ k: kh, v: vh });
  }
  const S = kh.shape[1]; // T without a cache

  const scores = tf.reshape(tf.matMul(qh, kh, false, true), [B * nKV, nRep, T, S]); // [B*nKV, nRep, T, S]
  const probs = tf.softmax(ctx.mask ? tf.add(scores, ctx.mask) : scores); // [B*nKV, nRep, T, S]
  const y = tf.matMul(tf.reshape(probs, [B * nKV, nRep * T, S]) as tf.Tensor3D, vh); // [B*nKV, nRep*T, hd]
  const merged = tf.reshape(tf.transpose(tf.reshape(y, [B, nH, T, hd]), [0, 2, 1, 3]), [B * T, nH * hd]); // [B*T, nH*hd]
  return linear(merged as tf.Tensor2D, get(params, `${p}.o_proj.weight`), undefined, ctx.im); // [B*T, d]
}

// ----------------------------------------------------------------------------- mlp

/** SwiGLU: down(silu(gate(x)) * up(x)). x [B*T, d] -> [B*T, d]. */
function mlp(params: Params, p: string, x: tf.Tensor2D, im: InputMajor | null): tf.Tensor2D {
  const gate = linear(x, get(params, `${p}.gate_proj.weight`), undefined, im); // [B*T, ff]
  const up = linear(x, get(params, `${p}.up_proj.weight`), undefined, im); // [B*T, ff]
  const h = tf.mul<tf.Tensor2D>(tf.mul(gate, tf.sigmoid(gate)), up); // [B*T, ff]
  return linear(h, get(params, `${p}.down_proj.weight`), undefined, im); // [B*T, d]
}

// ----------------------------------------------------------------------------- block

/** Pre-norm residual block. h [B*T, d] -> [B*T, d]. */
function block(cfg: ModelConfig, params: Params, i: number, h: tf.Tensor2D, ctx: Ctx): tf.Tensor2D {
  const p = `model.layers.${i}`;
  const eps = cfg.rmsNormEps;
  h = tf.add(h, attention(cfg, params, i, rmsNorm(h, get(params, `${p}.input_layernorm.weight`), eps), ctx));
  return tf.add(h, mlp(params, `${p}.mlp`, rmsNorm(h, get(params, `${p}.post_attention_layernorm.weight`), eps), ctx.im));
}

// ----------------------------------------------------------------------------- forward

/** Embedding and blocks, before the final norm. inputIds [B, T] -> h [B*T, d]. */
function trunk(cfg: ModelConfig, params: Params, inputIds: tf.Tensor2D, ctx: Ctx): tf.Tensor2D {
  const [B, T] = inputIds.shape;
  const ids = tf.reshape(inputIds.dtype === 'int32' ? inputIds : tf.cast(inputIds, 'int32'), [B * T]) as tf.Tensor1D;
  let h = embed(get(params, 'model.embed_tokens.weight') as tf.Tensor2D, ids); // [B*T, d]
  for (let i = 0; i < cfg.numLayers; i++) h = block(cfg, params, i, h, ctx);
  return h;
}

/** Final norm and lm_head (or the tied embedding). h [N, d] -> logits [N, V]. */
function lmHead(cfg: ModelConfig, params: Params, h: tf.Tensor2D, im: InputMajor | null): tf.Tensor2D {
  h = rmsNorm(h, get(params, 'model.norm.weight'), cfg.rmsNormEps); // [N, d]
  return linear(h, get(params, cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), undefined, im); // [N, V]
}

/** inputIds int32 [B, T] -> logits float32 [B, T, V]. */
export function forward(cfg: ModelConfig, params: Params, inputIds: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = inputIds.shape;
  return tf.tidy(() => {
    const h = trunk(cfg, params, inputIds, context(cfg, B, T, 0, true, null, null)); // [B*T, d]
    return tf.reshape(lmHead(cfg, params, h, null), [B, T, cfg.vocabSize]) as tf.Tensor3D; // [B, T, V]
  });
}

/**
 * Forward of T new positions after the S0 positions whose K/V are in `past` (one LayerKv per
 * layer; [] for none), for generation. Returns the logits of the new positions, or with
 * `lastOnly` of the last one only (saves the [T, V] head in a prefill), and `kv`: each layer's K/V
 * over all S0 + T positions, new tensors the caller owns (`past` is left as it was). With
 * `inputMajor` (generate.ts inputMajorWeights) the projections multiply by those copies instead.
 * Equals forward over the whole sequence, position for position, up to float32 rounding.
 * inputIds int32 [B, T] -> logits [B, T or 1, V].
 */
export function forwardCached(
  cfg: ModelConfig,
  params: Params,
  inputIds: tf.Tensor2D,
  past: readonly LayerKv[],
  opts: { lastOnly?: boolean; inputMajor?: InputMajor } = {},
): { logits: tf.Tensor3D; kv: LayerKv[] } {
  const [B, T] = inputIds.shape;
  if (past.length !== 0 && past.length !== cfg.numLayers) {
    throw new Error(`KV cache has ${past.length} layers, the model has ${cfg.numLayers}`);
  }
  // Positions matter only through RoPE, inside attention, so a model without layers needs none.
  const S0 = past.length === 0 ? 0 : past[0].k.shape[1];
  return tf.tidy(() => {
    const kv: LayerKv[] = [];
    // One new query sees every key: no mask needed (adding zeros would change nothing).
    const im = opts.inputMajor ?? null;
    let h = trunk(cfg, params, inputIds, context(cfg, B, T, S0, T > 1, { past, present: kv }, im)); // [B*T, d]
    const keep = opts.lastOnly ? 1 : T;
    if (keep < T) h = tf.reshape(tf.slice(tf.reshape(h, [B, T, -1]), [0, T - 1, 0], [B, 1, -1]), [B, -1]); // [B, d]
    const logits = tf.reshape(lmHead(cfg, params, h, im), [B, keep, cfg.vocabSize]) as tf.Tensor3D; // [B, keep, V]
    return { logits, kv };
  });
}

// ----------------------------------------------------------------------------- loss

/**
 * sum_n w_n * (logsumexp(x_n) - x_n[t_n]) with the fused gradient dy * w_n * (softmax(x_n) -
 * onehot(t_n)): no one-hot or softmax in the forward pass (scoring pays only for logsumexp), and
 * backward rebuilds the softmax from the saved logits and logsumexp.
 * x [N, V]; t [N] int32 target ids; w [N] per-position weights (0 = not a target).
 */
function weightedNll(x: tf.Tensor2D, t: tf.Tensor1D, w: tf.Tensor1D): tf.Scalar {
  const [N, V] = x.shape;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [logits, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const lse = tf.logSumExp(logits, 1, true); // [N, 1]
    // logits[n, t_n] as a flat gather (wasm's gather with batchDims crashes); n*V + t_n < 2^31
    // holds for any logits tensor a backend can allocate.
    const flatIdx = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), t); // [N]
    const picked = tf.reshape(tf.gather(tf.reshape(logits, [N * V]), flatIdx), [N, 1]); // [N, 1]
    save([logits, lse, t, w]);
    return {
      value: tf.sum<tf.Scalar>(tf.mul(tf.reshape(tf.sub(lse, picked), [N]), w)), // []
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [xs, lseS, targets, weights] = saved;
        const scale = tf.mul(weights, dy); // [N]
        const probs = tf.exp(tf.sub(xs, lseS)); // [N, V], softmax
        // The one-hot term as a scatter: tf.oneHot(.., 'float32') writes integer bits on wasm.
        const at = tf.stack([tf.range(0, N, 1, 'int32'), targets], 1); // [N, 2], (n, t_n)
        return [tf.sub(tf.mul(probs, tf.reshape(scale, [N, 1])), tf.scatterND(at, scale, [N, V]))]; // [N, V]
      },
    };
  });
  return f(x);
}

/**
 * Labels of a [B, T] batch: host values, row-major (`Int32Array` of B*T, or B rows of T), or an
 * int32 tensor (see causalLmLoss).
 */
export type Labels = ArrayLike<number> | number[][] | tf.Tensor2D;

/** The labels as B*T host numbers, checked against the logits' [B, T]. */
function hostLabels(labels: Labels, B: number, T: number, logitsShape: number[]): ArrayLike<number> {
  const mismatch = (shape: string) => new Error(`labels shape ${shape} does not match logits [${logitsShape}]`);
  if (labels instanceof tf.Tensor) {
    if (labels.shape[0] !== B || labels.shape[1] !== T) throw mismatch(`[${labels.shape}]`);
    return labels.dataSync(); // see causalLmLoss: not for a tensor already used on webgpu
  }
  if (Array.isArray(labels) && Array.isArray(labels[0])) {
    const rows = labels as number[][];
    if (rows.length !== B || rows.some((r) => r.length !== T)) throw mismatch(`[${rows.length}, ${rows.map((r) => r.length).join('|')}]`);
    return rows.flat();
  }
  const flat = labels as ArrayLike<number>;
  if (flat.length !== B * T) throw mismatch(`of ${flat.length} values (flat)`);
  return flat;
}

/**
 * Causal LM loss: logits at t predict labels[t + 1]; labels -100 are ignored; the token-weighted
 * mean over all targets of the batch. The shift is done with per-position weights rather than a
 * slice of the logits (whose gradient would be another [B, T, V] pad): the last position of each
 * row, and positions whose next label is -100, get weight 0. No target at all gives loss 0, not
 * NaN, still connected to the graph so gradients are zeros. logits [B, T, V], labels [B, T].
 *
 * The targets and their count are needed as numbers, so the labels are used on the host: give
 * them as host values (row-major [B, T]), as training and scoring do, and nothing is read back
 * from the device. A tensor is also accepted, for convenience; it is read with `dataSync()`, which
 * on webgpu in Node only works while its values are still on the CPU (not yet used on the GPU).
 */
export function causalLmLoss(logits: tf.Tensor3D, labels: Labels): { loss: tf.Scalar; tokens: number } {
  const [B, T, V] = logits.shape;
  const lab = hostLabels(labels, B, T, logits.shape);
  const targets = new Int32Array(B * T); // [B*T], target of position (b, t) is labels[b, t + 1]
  const valid = new Uint8Array(B * T);
  let tokens = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const y = lab[b * T + t + 1];
      if (y === IGNORE_INDEX) continue;
      if (!Number.isInteger(y) || y < 0 || y >= V) throw new Error(`label ${y} at [${b}, ${t + 1}] is outside the vocabulary [0, ${V})`);
      targets[b * T + t] = y;
      valid[b * T + t] = 1;
      tokens++;
    }
  }
  const weights = Float32Array.from(valid, (v) => (v ? 1 / tokens : 0)); // [B*T]
  const loss = tf.tidy(() =>
    weightedNll(tf.reshape(logits, [B * T, V]) as tf.Tensor2D, tf.tensor1d(targets, 'int32'), tf.tensor1d(weights)),
  );
  return { loss, tokens };
}

/** forward + causalLmLoss, for training: use inside tf.variableGrads(() => ...loss). */
export function lossAndTokens(
  cfg: ModelConfig,
  params: Params,
  inputIds: tf.Tensor2D,
  labels: Labels,
): { loss: tf.Scalar; tokens: number } {
  const logits = forward(cfg, params, inputIds);
  try {
    return causalLmLoss(logits, labels);
  } finally {
    logits.dispose(); // the tape keeps its own references to what backward needs
  }
}
