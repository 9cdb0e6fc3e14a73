import { readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function (or one pseudo-frame such as `(garbage collector)`). */
export interface FunctionTime {
  name: string;
  /** `@switchyard/grpc`, `@grpc/grpc-js`, `node`, `(gc)`… */
  package: string;
  /** `src/client/create-grpc-client.ts:168` (through the source map for workspace packages) or `file:line`. */
  location: string;
  selfMs: number;
  /** Share of all sampled time, idle excluded. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, idle excluded. */
  busyMs: number;
  byPackage: { package: string; selfMs: number; share: number }[];
  top: FunctionTime[];
  /** The top functions of `@switchyard/*` packages (the benchmark harness excluded). */
  topSwitchyard: FunctionTime[];
}

const PSEUDO = /^\((.*)\)$/;

/** The package a script URL belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return PSEUDO.test(functionName) ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  if (url.startsWith('wasm://')) return 'wasm (llhttp)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const workspace = /[\\/]packages[\\/]([^\\/]+)[\\/](?:dist|src)[\\/]/.exec(path);
  if (workspace && !path.includes('node_modules')) {
    return workspace[1] === 'bench' ? '@switchyard/bench (harness)' : `@switchyard/${workspace[1]}`;
  }
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [first, second] = path.slice(modules + 'node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
  }
  return basename(path);
}

/**
 * Reads a `.cpuprofile` (from `node --cpu-prof`) and sums self time per function and per package.
 * `builtBefore` (ms since the epoch, the run's start): a bundle modified after it was rebuilt while the
 * run went on, so its source map no longer describes the code that ran, and its frames are not mapped.
 */
export function summarizeProfile(file: string, top = 15, builtBefore = Number.POSITIVE_INFINITY): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let index = 0; index < profile.samples.length; index++) {
    // Sample i lasts until the next one (the last one until the profile's end).
    const duration =
      index + 1 < profile.timeDeltas.length
        ? (profile.timeDeltas[index + 1] as number)
        : profile.endTime - profile.startTime - profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
    const id = profile.samples[index] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, duration));
  }
  const locate = sourceLocator(builtBefore);
  const functions = new Map<string, FunctionTime>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  for (const [id, micros] of selfUs) {
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') continue;
    busyUs += micros;
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const name = frame.functionName || '(anonymous)';
    const location = frame.url === '' ? '' : locate(frame.url, frame.lineNumber, frame.columnNumber);
    const key = `${pkg}|${name}|${location}`;
    const entry = functions.get(key) ?? { name, package: pkg, location, selfMs: 0, share: 0 };
    entry.selfMs += micros / 1_000;
    functions.set(key, entry);
  }
  const busyMs = busyUs / 1_000;
  const ranked = [...functions.values()]
    .map((entry) => ({ ...entry, share: entry.selfMs / busyMs }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return {
    file,
    busyMs,
    byPackage: [...packages]
      .map(([name, micros]) => ({ package: name, selfMs: micros / 1_000, share: micros / busyUs }))
      .sort((a, b) => b.selfMs - a.selfMs),
    top: ranked.slice(0, top),
    topSwitchyard: ranked
      .filter((entry) => entry.package.startsWith('@switchyard/') && !entry.package.includes('harness'))
      .slice(0, top),
  };
}

interface LoadedMap {
  map: SourceMap;
  sources: string[];
  contents: (string | null)[];
}

/**
 * Maps a compiled location to its TypeScript source through the bundle's source map, when there is one,
 * and quotes the source line (from the map's `sourcesContent`, so the quote is the code that ran even if
 * the file has changed since).
 */
function sourceLocator(builtBefore: number): (url: string, line: number, column: number) => string {
  const maps = new Map<string, LoadedMap | undefined>();
  const rebuilt = new Set<string>();
  return (url, line, column) => {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (url.startsWith('node:') || !path.startsWith('/')) return `${url}:${line + 1}`;
    if (!maps.has(path)) {
      let loaded: LoadedMap | undefined;
      try {
        if (statSync(path).mtimeMs > builtBefore) rebuilt.add(path);
        else if (!path.includes('node_modules')) {
          const payload = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as {
            sources?: string[];
            sourcesContent?: (string | null)[];
          };
          loaded = {
            map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]),
            sources: payload.sources ?? [],
            contents: payload.sourcesContent ?? [],
          };
        }
      } catch {
        loaded = undefined;
      }
      maps.set(path, loaded);
    }
    if (rebuilt.has(path)) return `${path}:${line + 1} (rebuilt during the run: not mapped)`;
    const loaded = maps.get(path);
    const entry = loaded?.map.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
    if (loaded && entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : new URL(entry.originalSource, `file://${dirname(path)}/`).pathname;
      const packageRoot = /^(.*[\\/]packages[\\/][^\\/]+)[\\/]/.exec(source)?.[1];
      const relativePath = packageRoot ? relative(packageRoot, source) : source;
      const index = loaded.sources.findIndex((candidate) => candidate.endsWith(relativePath));
      const quoted = loaded.contents[index]?.split('\n')[entry.originalLine]?.trim();
      const excerpt = quoted ? ` \`${quoted.length > 60 ? `${quoted.slice(0, 57)}...` : quoted}\`` : '';
      return `${relativePath}:${entry.originalLine + 1}${excerpt}`;
    }
    const modules = path.lastIndexOf('node_modules/');
    return `${modules >= 0 ? path.slice(modules + 'node_modules/'.length) : path}:${line + 1}`;
  };
}
