/**
 * The dataset formats of DESIGN §5 and the fields each one reads: plain data with no imports, so
 * the plan file's types (and later the renderer's wizard) share it with the readers.
 */

export const DATASET_FORMATS = ['alpaca', 'messages', 'prompt-completion', 'text', 'preference', 'tokenized'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** The fields of each format; for messages, `role` and `content` are the keys inside each message. */
export const FORMAT_FIELDS: Readonly<Record<DatasetFormat, readonly string[]>> = {
  alpaca: ['instruction', 'input', 'output'],
  messages: ['messages', 'role', 'content'],
  'prompt-completion': ['prompt', 'completion'],
  text: ['text'],
  preference: ['prompt', 'chosen', 'rejected'],
  tokenized: ['input_ids', 'labels'],
};
