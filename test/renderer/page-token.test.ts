/**
 * The page's key: taken from `?token=` and removed from the address (other parameters and the
 * #route kept), remembered for reloads, and still found after the address no longer has it.
 */
import { describe, expect, it } from 'vitest';
import { takePageToken, type PageParts } from '../../src-renderer/page-token.js';

function page(search: string, hash = '', withStorage = true) {
  const replaced: string[] = [];
  const store = new Map<string, string>();
  const parts: PageParts = {
    location: { search, pathname: '/', hash },
    storage: withStorage ? { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) } : null,
    replaceUrl: (url) => replaced.push(url),
  };
  return { parts, replaced, store };
}

describe('takePageToken', () => {
  it('takes the key out of the address and keeps the rest', () => {
    const p = page('?token=abc_DEF-123&x=1', '#/history');
    expect(takePageToken(p.parts)).toBe('abc_DEF-123');
    expect(p.replaced).toEqual(['/?x=1#/history']);
    p.replaced.length = 0;
    const q = page('?token=k');
    expect(takePageToken(q.parts)).toBe('k');
    expect(q.replaced).toEqual(['/']);
  });

  it('finds the key again after the address was cleaned (a reload of the tab)', () => {
    const p = page('?token=k1', '#/');
    expect(takePageToken(p.parts)).toBe('k1');
    const reload: PageParts = { ...p.parts, location: { search: '', pathname: '/', hash: '#/runs/x' } };
    expect(takePageToken(reload)).toBe('k1');
    expect(p.replaced).toEqual(['/#/']);
  });

  it('has no key without one in the address or the tab, and copes with storage switched off', () => {
    expect(takePageToken(page('').parts)).toBeNull();
    expect(takePageToken(page('?token=').parts)).toBeNull();
    const off = page('?token=k2', '', false);
    expect(takePageToken(off.parts)).toBe('k2');
    const throwing: PageParts = {
      location: { search: '?token=k3', pathname: '/', hash: '' },
      storage: { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } },
      replaceUrl: () => undefined,
    };
    expect(takePageToken(throwing)).toBe('k3');
    expect(takePageToken({ ...throwing, location: { search: '', pathname: '/', hash: '' } })).toBeNull();
  });
});
