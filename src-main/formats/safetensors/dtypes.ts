/**
 * Safetensors dtypes: the allowlist, element sizes, and conversion of raw little-endian bytes
 * to and from Float32Array.
 *
 * F32 -> F16 / BF16 rounds to nearest, ties to even, exactly as PyTorch's `.half()` and
 * `.to(torch.bfloat16)` do on finite values: F16 keeps subnormals, overflows to ±inf. NaN stays
 * NaN with its sign (F16: sign|0x7E00, as PyTorch; BF16: sign|0x7FC0 — PyTorch's own BF16 NaN
 * bits differ between its scalar and SIMD paths, so only NaN-ness is promised). F16 / BF16 -> F32
 * is exact.
 */

/** The allowlist, in the reference crate's order (increasing alignment). */
export const DTYPES = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64',
] as const;
export type Dtype = (typeof DTYPES)[number];

/** The dtypes a writer may emit. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

const BYTES: Record<Dtype, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8,
};

export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(BYTES, s);
}

/** Bytes per element. */
export function dtypeByteSize(d: Dtype): number {
  return BYTES[d];
}

// Typed-array views below read the host's byte order; safetensors is little-endian.
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- scalar bit conversions ---------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bit pattern (uint32) -> IEEE half bit pattern (uint16), round-to-nearest-even. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00); // NaN -> quiet NaN, inf -> inf
  const e = exp - 127 + 15; // half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    // Half subnormal (or zero): 10-bit mantissa of value / 2^-24.
    if (e < -10) return sign; // below half of the smallest subnormal: rounds to ±0
    mant |= 0x800000; // implicit leading 1
    const shift = 14 - e; // 14..24
    const q = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    // q + 1 may reach 0x400, which is exactly the smallest normal's encoding.
    return sign | (rem > half || (rem === half && (q & 1) !== 0) ? q + 1 : q);
  }
  const r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent; 0x7bff + 1 = 0x7c00 = inf, as IEEE wants.
  return sign | (rem > 0x1000 || (rem === 0x1000 && (r & 1) !== 0) ? r + 1 : r);
}

/** IEEE half bit pattern -> float32 value (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero / subnormal
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** float32 bit pattern (uint32) -> bfloat16 bit pattern, round-to-nearest-even. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) >>> 0 > 0x7f800000) return ((x >>> 16) & 0x8000) | 0x7fc0; // NaN
  // Overflow carries into the exponent: 0x7f7fffff rounds to 0x7f80 = inf. The sum stays below
  // 2^32 (the largest non-NaN input is 0xff800000), so `>>> 16` cannot wrap.
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** bfloat16 bit pattern -> float32 value (exact). */
export function bf16BitsToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** float32 value -> its bit pattern. */
export function f32ToBits(v: number): number {
  f32[0] = v;
  return u32[0];
}

// ---- array conversions ---------------------------------------------------------------------

let f16Table: Float32Array | null = null; // 65536 entries, 256 KiB, built on first F16 read

function f16ToF32Table(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32(h);
  }
  return f16Table;
}

/** Can `decodeToFloat32` convert this dtype? */
export function isFloat32Convertible(d: Dtype): boolean {
  return d !== 'F8_E5M2' && d !== 'F8_E4M3';
}

/**
 * Raw little-endian tensor bytes -> Float32Array. `bytes` must start at byteOffset 0 of its own
 * ArrayBuffer (so every view is aligned); for F32 the result shares that buffer.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: Dtype): Float32Array {
  const n = bytes.byteLength / BYTES[dtype];
  const buf = bytes.buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf, 0, n);
    case 'F16': {
      const src = new Uint16Array(buf, 0, n);
      const table = f16ToF32Table();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[src[i]];
      return out;
    }
    case 'BF16': {
      const src = new Uint16Array(buf, 0, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
      return out;
    }
    case 'BOOL': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'U8': return Float32Array.from(bytes.subarray(0, n));
    case 'I8': return Float32Array.from(new Int8Array(buf, 0, n));
    case 'I16': return Float32Array.from(new Int16Array(buf, 0, n));
    case 'U16': return Float32Array.from(new Uint16Array(buf, 0, n));
    case 'I32': return Float32Array.from(new Int32Array(buf, 0, n));
    case 'U32': return Float32Array.from(new Uint32Array(buf, 0, n));
    case 'F64': return Float32Array.from(new Float64Array(buf, 0, n)); // rounds to nearest
    case 'I64':
    case 'U64': {
      const src = dtype === 'I64' ? new BigInt64Array(buf, 0, n) : new BigUint64Array(buf, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(src[i]); // via float64: may double-round past 2^24
      return out;
    }
    default:
      throw new Error(`decodeToFloat32: ${dtype} is not convertible`); // guarded by isFloat32Convertible
  }
}

/** Float32Array -> little-endian bytes of `dtype` (a fresh buffer, or a view for F32). */
export function encodeFromFloat32(src: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  if (dtype === 'F16') for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  else for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16Bits(bits[i]);
  return new Uint8Array(out.buffer);
}
