/** Plain-words formatting, against values written out by hand. */
import { describe, expect, it } from 'vitest';
import { dateTime, dtypeWords, exactCount, methodLong, methodShort, percent, points, roughCount, statusLabel } from '../../src-renderer/format.js';

describe('format', () => {
  it('writes scores as percentages with one decimal', () => {
    expect(percent(0.125)).toBe('12.5%');
    expect(percent(1)).toBe('100.0%');
    expect(percent(0)).toBe('0.0%');
    expect(percent(2 / 3)).toBe('66.7%');
    expect(percent(null)).toBe('\u2013');
  });

  it('writes changes in score as signed points, with a true minus sign', () => {
    expect(points(-0.125)).toBe('\u221212.5 points');
    expect(points(0.05)).toBe('+5.0 points');
    expect(points(0)).toBe('0.0 points');
    // Rounds to zero: no sign on a zero.
    expect(points(-0.0004)).toBe('0.0 points');
    expect(points(null)).toBe('\u2013');
  });

  it('writes sizes as a person says them, and exactly', () => {
    expect(roughCount(512)).toBe('512');
    expect(roughCount(250_432)).toBe('250 thousand');
    expect(roughCount(1_234_567)).toBe('1.2 million');
    expect(roughCount(494_032_768)).toBe('494 million');
    expect(roughCount(7_241_732_096)).toBe('7.2 billion');
    expect(exactCount(250432)).toBe('250,432');
  });

  it('names methods, statuses and number formats in words', () => {
    expect(methodShort('category', 0.5)).toBe('Half fine-tuning, 50%');
    expect(methodShort('full', 1)).toBe('Full fine-tuning');
    expect(methodLong('layer', 0.25)).toContain('about 25% of the model trains');
    expect(methodLong('layer', 0.25)).toContain('whole layers');
    expect(statusLabel('done')).toBe('Finished');
    expect(statusLabel('failed')).toBe('Failed');
    expect(dtypeWords('bf16')).toBe('16-bit brain floating point (BF16)');
    expect(dtypeWords('Q4')).toBe('Q4');
  });

  it('shows a time in the browser’s time zone, and anything unreadable as it came', () => {
    const iso = '2026-11-27T12:34:03.750Z';
    const d = new Date(iso);
    const text = dateTime(iso);
    expect(text).toContain(String(d.getFullYear()));
    expect(text).toContain(String(d.getMinutes()).padStart(2, '0'));
    expect(dateTime('not a date')).toBe('not a date');
    expect(dateTime(null)).toBe('\u2013');
  });
});
