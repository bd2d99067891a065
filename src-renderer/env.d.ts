/** Types the renderer needs beyond the DOM: .vue imports, and the preload's `window.hft`. */

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface Window {
  /**
   * The contract, put there by the Electron preload (src-main/preload/bridge.ts): one function per
   * method, and `events.on` for the contract's events. Absent in a browser on `hft serve`.
   */
  hft?: import('../src-main/contract/index.js').Api & {
    readonly events: {
      on<E extends import('../src-main/contract/index.js').EventName>(
        event: E,
        listener: (data: import('../src-main/contract/index.js').Events[E]) => void,
      ): () => void;
    };
  };
}
