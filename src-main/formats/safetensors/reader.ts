/**
 * Reads one .safetensors file without loading it whole.
 *
 * `open` reads the 8-byte length and the header only, and validates them fully (see header.ts);
 * the length is checked against the 100 MB limit and the file size before any header buffer is
 * allocated. `readFloat32` then reads one tensor's bytes at its offset with positioned reads on
 * the open descriptor, so peak memory is one tensor.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decodeToFloat32, HOST_IS_LITTLE_ENDIAN, isFloat32Convertible } from './dtypes.js';
import { ioError, quote, SafetensorsError } from './errors.js';
import { MAX_HEADER_SIZE, parseHeader, type TensorInfo } from './header.js';

const N_LEN = 8; // u64 header length prefix
const MAX_READ = 1 << 30; // bytes per readSync call; keeps each call well under the OS's ~2 GiB cap

export class SafetensorsFile {
  readonly path: string;
  /** In file layout order (by byteOffset). */
  readonly tensors: TensorInfo[];
  readonly metadata: Record<string, string>;
  private fd: number | null;
  private readonly byName: Map<string, TensorInfo>;

  private constructor(path: string, fd: number, tensors: TensorInfo[], metadata: Record<string, string>) {
    this.path = path;
    this.fd = fd;
    this.tensors = tensors;
    this.metadata = metadata;
    this.byName = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Opens and validates `path`; throws SafetensorsError (never anything else) on any problem. */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw ioError(path, 'cannot open', e);
    }
    try {
      const { tensors, metadata } = readHeader(path, fd);
      return new SafetensorsFile(path, fd, tensors, metadata);
    } catch (e) {
      closeSync(fd);
      throw ioError(path, 'cannot read', e);
    }
  }

  info(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (t === undefined) throw new SafetensorsError('TENSOR_NOT_FOUND', this.path, `no tensor named ${quote(name)}`);
    return t;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The tensor's values as float32 (F32/F16/BF16 exact; F64 rounded; integers and BOOL as numbers). */
  readFloat32(name: string): Float32Array {
    const t = this.info(name);
    if (!isFloat32Convertible(t.dtype)) {
      throw new SafetensorsError('UNSUPPORTED_DTYPE', this.path, `tensor ${quote(name)} is ${t.dtype}, which cannot be read as float32`);
    }
    if (!HOST_IS_LITTLE_ENDIAN) {
      throw new SafetensorsError('UNSUPPORTED_DTYPE', this.path, 'reading tensors needs a little-endian host');
    }
    const bytes = new Uint8Array(t.byteLength); // fresh ArrayBuffer at offset 0: aligned for any view
    readFully(this.path, this.openFd(), bytes, t.byteOffset);
    return decodeToFloat32(bytes, t.dtype);
  }

  /** Releases the descriptor. Idempotent; reads afterwards throw CLOSED. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }

  private openFd(): number {
    if (this.fd === null) throw new SafetensorsError('CLOSED', this.path, 'file is closed');
    return this.fd;
  }
}

function readHeader(path: string, fd: number): ReturnType<typeof parseHeader> {
  const size = fstatSync(fd).size;
  if (size < N_LEN) {
    throw new SafetensorsError('HEADER_TOO_SMALL', path, `file is ${size} bytes, shorter than the 8-byte header length`);
  }
  const prefix = new Uint8Array(N_LEN);
  readFully(path, fd, prefix, 0);
  const n = new DataView(prefix.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    throw new SafetensorsError('HEADER_TOO_LARGE', path, `header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  }
  const headerLen = Number(n);
  if (N_LEN + headerLen > size) {
    throw new SafetensorsError('INVALID_HEADER_LENGTH', path, `header length ${headerLen} runs past the end of the ${size}-byte file`);
  }
  const header = new Uint8Array(headerLen);
  readFully(path, fd, header, N_LEN);
  return parseHeader(path, header, N_LEN + headerLen, size - N_LEN - headerLen);
}

/** Fills `into` from `position`, looping over short reads; a short file is an IO_ERROR. */
function readFully(path: string, fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.byteLength) {
    const want = Math.min(into.byteLength - done, MAX_READ);
    let got: number;
    try {
      got = readSync(fd, into, done, want, position + done);
    } catch (e) {
      throw ioError(path, 'read failed', e);
    }
    if (got === 0) {
      throw new SafetensorsError('IO_ERROR', path, `unexpected end of file at byte ${position + done} (file changed after open?)`);
    }
    done += got;
  }
}
