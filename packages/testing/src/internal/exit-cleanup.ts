/**
 * Last-resort cleanup of child processes, temp dirs and containers when the test process ends without calling
 * `stop()`. Hooks must be synchronous (they run in `process.on('exit')`). On SIGINT/SIGTERM/SIGHUP that nobody
 * else handles, the hooks run and the signal is re-raised so the process still dies of it. When someone else
 * handles the signal (a service's graceful shutdown, which still needs its Redis to deregister), the process is
 * theirs to end: the hooks then run at its exit, or when they re-raise the signal with no listener left but ours.
 */
const hooks = new Set<() => void>();
let installed = false;
/** Marks our signal listeners, those of every loaded copy of this package (ESM and CJS) alike. */
const OURS = Symbol.for('switchyard.testing.exit-cleanup');

/** Registers `hook` to run once at process exit; returns a function that unregisters it. */
export function onProcessExit(hook: () => void): () => void {
  install();
  hooks.add(hook);
  return () => {
    hooks.delete(hook);
  };
}

function runHooks(): void {
  for (const hook of [...hooks]) {
    hooks.delete(hook);
    try {
      hook();
    } catch {
      // Exit-time cleanup is best effort: one failing hook must not stop the others.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runHooks);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Stays installed (not `once`): a handler that cleans up and then re-raises the signal must find
    // us still listening, or the process died of it with its servers left running. Put first, so the
    // count still includes a one-shot (`once`) handler installed before us, which Node removes as it runs.
    const onSignal = Object.assign(
      () => {
        if (process.listeners(signal).some((listener) => !(OURS in listener))) return; // the 'exit' hook covers it
        process.off(signal, onSignal);
        runHooks();
        process.kill(process.pid, signal);
      },
      { [OURS]: true },
    );
    process.prependListener(signal, onSignal);
  }
}
