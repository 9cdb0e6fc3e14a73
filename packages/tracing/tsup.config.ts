import { libraryConfig } from '../../tsup.library.ts';

// The OTLP export thread is its own file, which the exporter starts as a worker (src/otlp/export-thread-transport.ts).
// `shims` gives the CommonJS build an `import.meta.url` to find it by.
export default libraryConfig(new URL('./package.json', import.meta.url), undefined, {
  entry: { index: 'src/index.ts', 'export-thread-worker': 'src/otlp/export-thread-worker.ts' },
  shims: true,
});
