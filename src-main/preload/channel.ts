/**
 * The two IPC channels between the preload and the main process. Calls: the renderer invokes
 * `CALL_CHANNEL` with `(methodName, params)` and gets a Reply from the gate. Events: the main
 * process sends `(eventName, data)` on `EVENT_CHANNEL` to the app's window.
 * Kept in their own file so the preload bundle imports constants, not main-process code.
 */
export const CALL_CHANNEL = 'hft:call';
export const EVENT_CHANNEL = 'hft:event';
