// SIGINT, SIGTERM and SIGHUP in the CLI. While a task runs, the first one stops training and the
// best result so far is still written; the exit code is then 128 + the signal's number (130,
// 143, 129). Any later one, or one while nothing runs, quits at once: the exit cleanups
// (io/exit-cleanup.ts) remove half-written outputs and temporary frames, so nothing is left
// half-written. Under the launcher (bin/fast-node.mjs) one Ctrl-C arrives twice: from the
// terminal, which signals the whole process group, and relayed by the launcher, which cannot
// tell a terminal's signal from a `kill`; signals closer together than SAME_SIGNAL_MS count once.
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Signals this close together are one (a relayed copy); a person's second Ctrl-C comes later. */
export const SAME_SIGNAL_MS = 150;

let stopper: ((signal: NodeJS.Signals) => void) | undefined;
let received: NodeJS.Signals | undefined;
let counted = -Infinity;

export const signalExitCode = (signal: NodeJS.Signals): number => 128 + constants.signals[signal];

function onSignal(signal: NodeJS.Signals): void {
  const now = performance.now();
  if (now - counted < SAME_SIGNAL_MS) return;
  counted = now;
  if (stopper && !received) {
    received = signal;
    stopper(signal);
    return;
  }
  process.exit(signalExitCode(signal)); // 'exit' runs the cleanups
}

/** Installs the handlers (once, by the `double-dip` command; library users keep their own). */
export function handleSignals(): void {
  for (const s of SIGNALS) if (!process.listeners(s).includes(onSignal)) process.on(s, onSignal);
}

/**
 * While a task runs: the first signal calls stop() instead of exiting. Returns the function that
 * ends this period. stopSignal() then says which signal stopped it, if any.
 */
export function whileRunning(stop: (signal: NodeJS.Signals) => void): () => void {
  stopper = stop;
  received = undefined;
  return () => { if (stopper === stop) stopper = undefined; };
}

/** The signal that stopped the current (or last) task, if one did. */
export function stopSignal(): NodeJS.Signals | undefined {
  return received;
}
