/**
 * A small hash router: the view is named by the part of the address after '#', so links are
 * ordinary <a href> (keyboard, middle-click and the back button all work) and the Electron window,
 * which loads a file, needs no server. Routes:
 *   #/                 Home
 *   #/history          History
 *   #/runs/<id>        one run
 *   #/model/<path>     a model's details (path percent-encoded)
 */
import { readonly, ref, type Ref } from 'vue';

export type Route =
  | { name: 'home' }
  | { name: 'history' }
  | { name: 'run'; runId: string }
  | { name: 'model'; path: string }
  | { name: 'not-found'; hash: string };

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/') return { name: 'home' };
  if (path === '/history') return { name: 'history' };
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run !== null) {
    const runId = decode(run[1]);
    if (runId !== null && runId !== '') return { name: 'run', runId };
  }
  const model = /^\/model\/(.+)$/.exec(path);
  if (model !== null) {
    const modelPath = decode(model[1]);
    if (modelPath !== null && modelPath !== '') return { name: 'model', path: modelPath };
  }
  return { name: 'not-found', hash };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'home':
      return '#/';
    case 'history':
      return '#/history';
    case 'run':
      return `#/runs/${encodeURIComponent(route.runId)}`;
    case 'model':
      return `#/model/${encodeURIComponent(route.path)}`;
    case 'not-found':
      return route.hash;
  }
}

let current: Ref<Route> | null = null;

/** The current route, kept up to date with the address (read-only: change it with go()). */
export function useRoute(): Readonly<Ref<Route>> {
  if (current === null) {
    const r = ref<Route>(parseHash(window.location.hash));
    window.addEventListener('hashchange', () => {
      r.value = parseHash(window.location.hash);
    });
    current = r;
  }
  return readonly(current) as Readonly<Ref<Route>>;
}

export function go(route: Route): void {
  window.location.hash = href(route);
}
