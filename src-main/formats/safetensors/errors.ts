/**
 * The one error type of the safetensors reader and writer.
 *
 * `code` is a stable machine code; the header/validation codes mirror the variants of the
 * reference crate's `SafeTensorError` (huggingface/safetensors, safetensors/src/tensor.rs) so a
 * bug report can be matched against upstream behaviour. `message` is always one line and names
 * the file, so it can go straight into a log or a CLI error.
 */

export type SafetensorsErrorCode =
  // Mirrors of the reference crate's SafeTensorError variants.
  | 'HEADER_TOO_SMALL' // file shorter than the 8-byte length prefix
  | 'HEADER_TOO_LARGE' // header length > 100,000,000 bytes
  | 'INVALID_HEADER_LENGTH' // 8 + header length runs past the end of the file
  | 'INVALID_HEADER' // header bytes are not valid UTF-8
  | 'INVALID_HEADER_START' // first non-whitespace header character is not `{`
  | 'INVALID_HEADER_DESERIALIZATION' // not JSON, or JSON of the wrong shape
  | 'INVALID_OFFSET' // data_offsets not contiguous from 0 / begin > end
  | 'TENSOR_INVALID_INFO' // shape × dtype size != end - begin
  | 'METADATA_INCOMPLETE_BUFFER' // last end != byte-buffer length (trailing or missing bytes)
  | 'VALIDATION_OVERFLOW' // shape product or byte size overflows u64
  | 'INVALID_TENSOR_VIEW' // writer: data length does not match the shape
  | 'TENSOR_NOT_FOUND'
  | 'DUPLICATE_TENSOR' // the same tensor name twice (in one header, or across shards)
  | 'UNKNOWN_DTYPE' // dtype string outside the allowlist
  // Ours.
  | 'UNSUPPORTED_DTYPE' // readFloat32 on a dtype it cannot convert (FP8)
  | 'INVALID_TENSOR_NAME' // writer: `__metadata__` used as a tensor name
  | 'IO_ERROR' // open/read/write failed, or the file changed under us
  | 'CLOSED' // use after close()
  | 'MISSING_WEIGHTS' // model folder has neither model.safetensors nor the index
  | 'INVALID_INDEX' // model.safetensors.index.json unreadable or of the wrong shape
  | 'MISSING_SHARD' // a shard named by the index does not exist
  | 'INDEX_MISMATCH'; // weight_map disagrees with the shards' headers

export class SafetensorsError extends Error {
  readonly code: SafetensorsErrorCode;
  readonly file: string;

  constructor(code: SafetensorsErrorCode, file: string, reason: string) {
    super(oneLine(`${file}: ${reason}`));
    this.name = 'SafetensorsError';
    this.code = code;
    this.file = file;
  }
}

/** Quote a tensor name (or any untrusted string) for a message: escaped, at most ~120 chars. */
export function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 120 ? `${q.slice(0, 117)}..."` : q;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

/** Wraps a Node fs error (ENOENT, EACCES, ...) as IO_ERROR; passes SafetensorsErrors through. */
export function ioError(file: string, what: string, err: unknown): SafetensorsError {
  if (err instanceof SafetensorsError) return err;
  const detail = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
  return new SafetensorsError('IO_ERROR', file, `${what}: ${detail}`);
}
