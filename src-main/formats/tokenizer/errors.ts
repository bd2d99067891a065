/**
 * The one error type of the tokenizer and chat-template code.
 *
 * `code` is a stable machine code; `file` is the file the problem is in (a path when the tokenizer
 * was loaded from a folder, a bare file name for in-memory JSON). `message` is always one line and
 * starts with the file, so it can go straight into a log, a dataset import report or a CLI error.
 */

export type TokenizerErrorCode =
  | 'MISSING_FILE' // tokenizer.json is not in the folder
  | 'IO_ERROR' // a file exists but cannot be read
  | 'INVALID_JSON' // a file is not JSON
  | 'INVALID_FORMAT' // JSON of the wrong shape (bos_token a number, eos_token_id a string, ...)
  | 'UNSUPPORTED_MODEL' // tokenizer.json's model type is not one we can run
  | 'NO_CHAT_TEMPLATE' // applyChatTemplate on a tokenizer without a chat_template
  | 'TEMPLATE_SYNTAX' // the chat template does not parse
  | 'TEMPLATE_RAISED' // the template called raise_exception('...')
  | 'TEMPLATE_ERROR'; // any other failure while rendering

export class TokenizerError extends Error {
  readonly code: TokenizerErrorCode;
  readonly file: string;

  constructor(code: TokenizerErrorCode, file: string, reason: string) {
    super(oneLine(`${file}: ${reason}`));
    this.name = 'TokenizerError';
    this.code = code;
    this.file = file;
  }
}

/** Collapses line breaks so that a message stays one line (template errors can carry newlines). */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
}

/** The message of anything thrown, for wrapping into a TokenizerError. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
