/** The dataset formats in words, as the wizard's cards show them: every format the readers know has its own phrase. */
import { describe, expect, it } from 'vitest';
import { DATASET_FORMATS } from '../../src-main/formats/datasets/format-fields.js';
import { datasetFormatWords } from '../../src-renderer/format.js';

describe('datasetFormatWords', () => {
  it('words every dataset format the readers know, each differently', () => {
    const words = DATASET_FORMATS.map(datasetFormatWords);
    for (const [i, f] of DATASET_FORMATS.entries()) expect(words[i], f).not.toBe(f);
    expect(new Set(words).size).toBe(DATASET_FORMATS.length);
    expect(datasetFormatWords('alpaca')).toBe('instruction / answer pairs (alpaca)');
    expect(datasetFormatWords('messages')).toBe('chat conversations (messages)');
  });

  it('passes an unknown name through', () => {
    expect(datasetFormatWords('sharegpt')).toBe('sharegpt');
  });
});
