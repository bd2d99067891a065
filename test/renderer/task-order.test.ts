/**
 * Reordering the wizard's tasks: moves written out by hand, the top and bottom boundaries, the
 * keys that move a row (Alt+ArrowUp / Alt+ArrowDown and nothing else), where a dragged row lands,
 * and the sentences a screen reader hears.
 */
import { describe, expect, it } from 'vitest';
import { dropIndex, edgeMessage, keyMove, moveBy, moveTo, positionMessage, type KeyPress } from '../../src-renderer/task-order.js';

const ABCD = ['a', 'b', 'c', 'd'];
const key = (k: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key: k, altKey: false, ctrlKey: false, shiftKey: false, metaKey: false, ...mods });

describe('moveTo', () => {
  it('takes an item out and puts it at the new index', () => {
    expect(moveTo(ABCD, 0, 2)).toEqual(['b', 'c', 'a', 'd']);
    expect(moveTo(ABCD, 3, 0)).toEqual(['d', 'a', 'b', 'c']);
    expect(moveTo(ABCD, 1, 1)).toEqual(ABCD);
  });

  it('clamps the target to the list and ignores a source outside it', () => {
    expect(moveTo(ABCD, 1, 99)).toEqual(['a', 'c', 'd', 'b']);
    expect(moveTo(ABCD, 2, -5)).toEqual(['c', 'a', 'b', 'd']);
    expect(moveTo(ABCD, 7, 0)).toEqual(ABCD);
    expect(moveTo(ABCD, -1, 0)).toEqual(ABCD);
  });

  it('returns a new list and leaves the old one alone', () => {
    const list = [...ABCD];
    const out = moveTo(list, 0, 3);
    expect(list).toEqual(ABCD);
    expect(out).not.toBe(list);
  });
});

describe('moveBy', () => {
  it('moves one place up or down and reports the new index', () => {
    expect(moveBy(ABCD, 2, -1)).toEqual({ list: ['a', 'c', 'b', 'd'], index: 1, moved: true });
    expect(moveBy(ABCD, 0, 1)).toEqual({ list: ['b', 'a', 'c', 'd'], index: 1, moved: true });
  });

  it('does not move past the top or the bottom', () => {
    expect(moveBy(ABCD, 0, -1)).toEqual({ list: ABCD, index: 0, moved: false });
    expect(moveBy(ABCD, 3, 1)).toEqual({ list: ABCD, index: 3, moved: false });
    expect(moveBy(['only'], 0, 1)).toEqual({ list: ['only'], index: 0, moved: false });
    expect(moveBy([], 0, 1)).toEqual({ list: [], index: 0, moved: false });
  });

  it('moving down then up brings the list back', () => {
    const down = moveBy(ABCD, 1, 1);
    const up = moveBy(down.list, down.index, -1);
    expect(up.list).toEqual(ABCD);
    expect(up.index).toBe(1);
  });
});

describe('keyMove', () => {
  it('Alt+ArrowUp is up and Alt+ArrowDown is down', () => {
    expect(keyMove(key('ArrowUp', { altKey: true }))).toBe(-1);
    expect(keyMove(key('ArrowDown', { altKey: true }))).toBe(1);
  });

  it('plain arrows, other keys and extra modifiers are not moves', () => {
    expect(keyMove(key('ArrowUp'))).toBeNull();
    expect(keyMove(key('ArrowDown'))).toBeNull();
    expect(keyMove(key('ArrowLeft', { altKey: true }))).toBeNull();
    expect(keyMove(key('Enter', { altKey: true }))).toBeNull();
    expect(keyMove(key('ArrowUp', { altKey: true, shiftKey: true }))).toBeNull();
    expect(keyMove(key('ArrowDown', { altKey: true, ctrlKey: true }))).toBeNull();
    expect(keyMove(key('ArrowDown', { altKey: true, metaKey: true }))).toBeNull();
  });
});

describe('dropIndex', () => {
  // Each case: drag `from` onto `over`'s upper or lower half; the list after the move, by hand.
  it.each([
    [0, 2, false, ['b', 'a', 'c', 'd']],
    [0, 2, true, ['b', 'c', 'a', 'd']],
    [3, 0, false, ['d', 'a', 'b', 'c']],
    [3, 0, true, ['a', 'd', 'b', 'c']],
    [1, 1, false, ['a', 'b', 'c', 'd']],
    [1, 1, true, ['a', 'b', 'c', 'd']],
    [1, 0, true, ['a', 'b', 'c', 'd']],
    [2, 3, true, ['a', 'b', 'd', 'c']],
  ] as const)('dropping %i on %i (lower half: %s)', (from, over, after, expected) => {
    expect(moveTo(ABCD, from, dropIndex(from, over, after))).toEqual(expected);
  });
});

describe('announcements', () => {
  it('says the new position counting from one', () => {
    expect(positionMessage('add', 1, 3)).toBe('“add” is now task 2 of 3.');
    expect(positionMessage('reverse', 0, 3)).toBe('“reverse” is now task 1 of 3.');
  });

  it('says when the task is already at an end', () => {
    expect(edgeMessage('add', -1)).toBe('“add” is already the first task.');
    expect(edgeMessage('add', 1)).toBe('“add” is already the last task.');
  });
});
