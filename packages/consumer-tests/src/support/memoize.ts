/** `compute` run once, on first call; later calls get the same result (or the same rejected promise). */
export function memoize<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
