/**
 * Reordering the wizard's tasks: by drag and drop, by the Move up / Move down buttons, and by
 * Alt+ArrowUp / Alt+ArrowDown on a focused row. Pure list arithmetic, so every way of moving
 * agrees, plus the sentence a screen reader announces after each move.
 */

/** A copy of `list` with the item at `from` moved to index `to` (clamped to the list). */
export function moveTo<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= list.length) return out;
  const target = Math.max(0, Math.min(list.length - 1, to));
  const [item] = out.splice(from, 1);
  out.splice(target, 0, item);
  return out;
}

/**
 * Moves the item at `index` up (delta −1) or down (+1). At the top or bottom nothing moves and
 * `moved` is false, so the caller can say so instead of announcing a move that did not happen.
 */
export function moveBy<T>(list: readonly T[], index: number, delta: number): { list: T[]; index: number; moved: boolean } {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length || delta === 0) return { list: [...list], index, moved: false };
  return { list: moveTo(list, index, to), index: to, moved: true };
}

/** The keys of a keydown on a task row. */
export interface KeyPress {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

/** Alt+ArrowUp moves the row up (−1), Alt+ArrowDown down (+1); any other key (or Alt with more modifiers) is not a move. */
export function keyMove(e: KeyPress): -1 | 1 | null {
  if (!e.altKey || e.ctrlKey || e.shiftKey || e.metaKey) return null;
  if (e.key === 'ArrowUp') return -1;
  if (e.key === 'ArrowDown') return 1;
  return null;
}

/**
 * Where the dragged item at `from` ends up when dropped on the item at `over`: before it when
 * dropped on its upper half, after it when on its lower half (`after`).
 */
export function dropIndex(from: number, over: number, after: boolean): number {
  const insertAt = after ? over + 1 : over; // a gap in the list as it is now
  return from < insertAt ? insertAt - 1 : insertAt; // the same gap once `from` is taken out
}

/** What a screen reader hears after a move: `“add” is now task 2 of 3.` */
export function positionMessage(name: string, index: number, total: number): string {
  return `“${name}” is now task ${index + 1} of ${total}.`;
}

/** What it hears when a move cannot happen: `“add” is already the first task.` */
export function edgeMessage(name: string, delta: number): string {
  return `“${name}” is already the ${delta < 0 ? 'first' : 'last'} task.`;
}
