/**
 * Last-resort cleanup of child processes, temp dirs and containers when the test process ends without calling
 * `stop()`. Hooks must be synchronous (they run in `process.on('exit')`). On SIGINT/SIGTERM/SIGHUP the hooks
 * run and, when nobody else listens for that signal, the signal is re-raised so the process still dies.
 */
const hooks = new Set<() => void>();
let installed = false;

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
    const onSignal = () => {
      runHooks();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}
