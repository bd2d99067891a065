/** The hash router's addresses: each route survives href → parseHash, odd paths included. */
import { describe, expect, it } from 'vitest';
import { href, parseHash, type Route } from '../../src-renderer/router.js';

describe('router', () => {
  it('round-trips every route, with paths holding slashes, #, %, spaces and non-Latin letters', () => {
    const routes: Route[] = [
      { name: 'home' },
      { name: 'history' },
      { name: 'run', runId: '20261127-123403-88eb' },
      { name: 'run', runId: 'a/b#c?d%e f' },
      { name: 'new', model: null },
      { name: 'new', model: '/home/zoë/models/Qwen2 0.5B #2' },
      { name: 'export', runId: '20261127-123403-88eb' },
      { name: 'playground', runId: 'a/b,c' },
      { name: 'compare', runIds: ['r1', 'a,b', 'x/y#z'] },
      { name: 'model', path: '/work/main/resources/sample' },
      { name: 'model', path: 'C:\\Users\\Zoë\\models\\模型 #1 100%' },
    ];
    for (const r of routes) expect(parseHash(href(r))).toEqual(r);
  });

  it('reads an empty address as Home, and anything unknown or broken as not found', () => {
    expect(parseHash('')).toEqual({ name: 'home' });
    expect(parseHash('#')).toEqual({ name: 'home' });
    expect(parseHash('#/')).toEqual({ name: 'home' });
    expect(parseHash('#/nowhere')).toEqual({ name: 'not-found', hash: '#/nowhere' });
    expect(parseHash('#/runs/')).toEqual({ name: 'not-found', hash: '#/runs/' });
    expect(parseHash('#/runs/a/b')).toEqual({ name: 'not-found', hash: '#/runs/a/b' });
    expect(parseHash('#/runs/%E0%A4%A')).toEqual({ name: 'not-found', hash: '#/runs/%E0%A4%A' });
    expect(parseHash('#/runs/r1/exports')).toEqual({ name: 'not-found', hash: '#/runs/r1/exports' });
    expect(parseHash('#/compare/r1,,r2')).toEqual({ name: 'not-found', hash: '#/compare/r1,,r2' });
    expect(parseHash('#/new/')).toEqual({ name: 'not-found', hash: '#/new/' });
  });
});
