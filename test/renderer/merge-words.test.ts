/** Merge labels (engine/merge.ts mergeLabel's format) said in words, by hand. */
import { expect, it } from 'vitest';
import { averageAlpha, mergeTitle } from '../../src-renderer/merge-words.js';

it('reads the averaging weight and names each merge', () => {
  expect(averageAlpha('average(alpha=0.35)')).toBe(0.35);
  expect(averageAlpha('average(alpha=1)')).toBe(1);
  expect(averageAlpha('half-reset(seed=0)')).toBeNull();
  expect(averageAlpha('none')).toBeNull();
  expect(mergeTitle('none')).toBe('No merge');
  expect(mergeTitle('average(alpha=0.35)')).toBe('Average, keeping 35% of the fine-tuned model');
  expect(mergeTitle('half-reset(seed=7)')).toBe('Half reset');
  expect(mergeTitle('something new')).toBe('something new');
});
