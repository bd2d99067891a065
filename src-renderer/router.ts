/**
 * A small hash router: the view is named by the part of the address after '#', so links are
 * ordinary <a href> (keyboard, middle-click and the back button all work) and the Electron window,
 * which loads a file, needs no server. Routes:
 *   #/                 Home
 *   #/history          History
 *   #/new              the New-run wizard
 *   #/new/<path>       the wizard with this model folder chosen (percent-encoded)
 *   #/runs/<id>        one run (live while it trains)
 *   #/runs/<id>/export     export a run
 *   #/runs/<id>/playground ask the base and the fine-tuned model side by side
 *   #/compare/<id>,<id>... two or more runs' curves overlaid (ids percent-encoded)
 *   #/model/<path>     a model's details (path percent-encoded)
 */
import { readonly, ref, type Ref } from 'vue';

export type Route =
  | { name: 'home' }
  | { name: 'history' }
  | { name: 'new'; model: string | null }
  | { name: 'run'; runId: string }
  | { name: 'export'; runId: string }
  | { name: 'playground'; runId: string }
  | { name: 'compare'; runIds: string[] }
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
  if (path === '/new') return { name: 'new', model: null };
  const newWith = /^\/new\/(.+)$/.exec(path);
  if (newWith !== null) {
    const model = decode(newWith[1]);
    if (model !== null && model !== '') return { name: 'new', model };
  }
  const run = /^\/runs\/([^/]+)(\/export|\/playground)?$/.exec(path);
  if (run !== null) {
    const runId = decode(run[1]);
    if (runId !== null && runId !== '') return run[2] === '/export' ? { name: 'export', runId } : run[2] === '/playground' ? { name: 'playground', runId } : { name: 'run', runId };
  }
  const compare = /^\/compare\/(.+)$/.exec(path);
  if (compare !== null) {
    const runIds = compare[1].split(',').map(decode);
    if (runIds.every((id): id is string => id !== null && id !== '')) return { name: 'compare', runIds };
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
    case 'new':
      return route.model === null ? '#/new' : `#/new/${encodeURIComponent(route.model)}`;
    case 'run':
      return `#/runs/${encodeURIComponent(route.runId)}`;
    case 'export':
      return `#/runs/${encodeURIComponent(route.runId)}/export`;
    case 'playground':
      return `#/runs/${encodeURIComponent(route.runId)}/playground`;
    case 'compare':
      return `#/compare/${route.runIds.map(encodeURIComponent).join(',')}`;
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
