/**
 * services.json's `dependsOn` against the example services' code: the services a workload calls
 * are the ones its code asks the SDK for, `service.grpcClient(Definition, '<name>')` or
 * `service.discover('<name>')`. `dependsOn` drives the Compose start order and the egress
 * NetworkPolicies each service must have (checks/egress.ts), so a call missing from it is a call
 * the deployment blocks. A call whose service name is not a string literal cannot be read
 * offline, and is reported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Contract } from '../contract.js';
import { repoRoot } from '../contract.js';

const CALL = /\.(grpcClient|discover)\s*\(/g;
const NAMED_CALL = {
  grpcClient: /^\.grpcClient\s*\(\s*[\w.]+\s*,\s*(['"`])([a-z0-9-]+)\1/,
  discover: /^\.discover\s*\(\s*(['"`])([a-z0-9-]+)\1/,
} as const;

/** The services one source text calls, and the calls whose target it cannot read. */
export function callsIn(source: string): { services: string[]; unreadable: string[] } {
  const services: string[] = [];
  const unreadable: string[] = [];
  for (const match of source.matchAll(CALL)) {
    const rest = source.slice(match.index);
    const named = NAMED_CALL[match[1] as keyof typeof NAMED_CALL].exec(rest);
    if (named) services.push(named[2]!);
    else unreadable.push(rest.slice(0, rest.indexOf(')') + 1 || 60));
  }
  return { services, unreadable };
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.[cm]?ts$/.test(entry.name) && !/\.test(-d)?\.[cm]?ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The services each example service's code calls (from `examples/shopping-guide/<name>/src`, tests excluded). */
export function codeDependencies(
  contract: Contract,
  root = repoRoot,
): Map<string, { calls: Set<string>; unreadable: string[] }> {
  const result = new Map<string, { calls: Set<string>; unreadable: string[] }>();
  for (const [name, service] of Object.entries(contract.services)) {
    const sourceDir = join(root, dirname(service.dockerfile), 'src');
    const calls = new Set<string>();
    const unreadable: string[] = [];
    for (const file of sourceFiles(sourceDir)) {
      const found = callsIn(readFileSync(file, 'utf8'));
      for (const called of found.services) calls.add(called);
      for (const call of found.unreadable) unreadable.push(`${relative(root, file)}: ${call}`);
    }
    result.set(name, { calls, unreadable });
  }
  return result;
}

/** Problems between services.json's `dependsOn` and what the code calls. */
export function checkDependsOn(
  contract: Contract,
  code: Map<string, { calls: Set<string>; unreadable: string[] }>,
): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(contract.services)) {
    const found = code.get(name);
    if (!found) continue;
    for (const call of found.unreadable)
      problems.push(`${name}: cannot read which service ${call} calls; name it with a string literal`);
    for (const called of [...found.calls].sort()) {
      if (!contract.services[called]) problems.push(`${name}: calls ${called}, which services.json does not define`);
      else if (!service.dependsOn.includes(called))
        problems.push(`${name}: calls ${called}, which its dependsOn in services.json lacks`);
    }
    for (const dependency of service.dependsOn) {
      if (!found.calls.has(dependency))
        problems.push(`${name}: dependsOn ${dependency} in services.json, but its code never calls it`);
    }
  }
  return problems;
}
