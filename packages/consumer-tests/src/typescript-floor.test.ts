/**
 * The published .d.ts files compile on TypeScript before 5.4 too. The consumer test compiles them
 * with the workspace's own TypeScript only, so it cannot see a type that needs a newer compiler:
 * `NoInfer<T>` (5.4) was "Cannot find name 'NoInfer'" for every consumer of @switchyard/grpc (and
 * of @switchyard/service, whose types import it) on 5.0-5.3 with skipLibCheck off, and a `const`
 * type parameter (5.0) a syntax error before 5.0 whatever skipLibCheck says. Nothing else in our
 * types needs either, so this reads every publishable package's sources for them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { publishablePackages, repoRoot } from './support/workspace.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test(-d)?\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** `file:line what` for each use of a type feature newer than TypeScript 5.0 / 5.4 in `source`. */
function newerTypeFeatures(file: string, source: string): string[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(`${file}:${sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${what}`);
  const visit = (node: ts.Node): void => {
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'NoInfer') {
      at(node, 'NoInfer<…> (TypeScript 5.4)');
    }
    if (ts.isTypeParameterDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ConstKeyword)) {
      at(node, 'a const type parameter (TypeScript 5.0)');
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

it('finds NoInfer and const type parameters', () => {
  expect(newerTypeFeatures('a.ts', 'export function f<const T>(x: NoInfer<T>): T { return x; }')).toEqual([
    'a.ts:1 a const type parameter (TypeScript 5.0)',
    'a.ts:1 NoInfer<…> (TypeScript 5.4)',
  ]);
  expect(newerTypeFeatures('b.ts', 'const NoInfer = 1; export function f<T>(x: T): T { return x; }')).toEqual([]);
});

it('publishes neither NoInfer (TypeScript 5.4) nor a const type parameter (5.0) in its types', () => {
  const found = publishablePackages().flatMap(({ dir }) =>
    sourceFiles(join(dir, 'src')).flatMap((path) =>
      newerTypeFeatures(relative(repoRoot, path), readFileSync(path, 'utf8')),
    ),
  );
  expect(found).toEqual([]);
});
