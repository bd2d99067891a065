/**
 * The trainer's entry under Electron (built to out/main/trainer.js): started by
 * trainer-utility.ts with utilityProcess.fork, it adapts the utility process's parentPort to the
 * fork-style channel the trainer speaks (utility-port-shim.ts), then runs the trainer itself.
 * The trainer is imported only after process.send is in place (it checks it on load), and
 * messages flow only after the trainer listens for them.
 */
import { adaptParentPort } from './utility-port-shim.js';

const port = (process as { parentPort?: Electron.ParentPort }).parentPort;
if (port == null) {
  process.stderr.write('this is the HFT Studio trainer for Electron; the app starts it, not a person\n');
  process.exit(2);
}
const channel = adaptParentPort(process as unknown as Parameters<typeof adaptParentPort>[0], port);
await import('../trainer/main.js');
// The trainer's process.on('message') is registered now (on load): let the messages in.
channel.listen();
