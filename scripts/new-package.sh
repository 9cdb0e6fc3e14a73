#!/usr/bin/env bash
# usage: scripts/new-package.sh <name> "<description>" [subpath...]
set -euo pipefail
name=$1; desc=$2; shift 2; subs=("$@")
d=packages/$name; mkdir -p $d/src
entries='"src/index.ts"'; exports='    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    }'
for s in "${subs[@]}"; do
  entries="$entries, \"src/$s.ts\""
  exports="$exports,
    \"./$s\": {
      \"import\": { \"types\": \"./dist/$s.d.ts\", \"default\": \"./dist/$s.js\" },
      \"require\": { \"types\": \"./dist/$s.d.cts\", \"default\": \"./dist/$s.cjs\" }
    }"
done
cat > $d/package.json <<JSON
{
  "name": "@switchyard/$name",
  "version": "0.1.0",
  "description": "$desc",
  "license": "Apache-2.0",
  "type": "module",
  "sideEffects": false,
  "engines": { "node": ">=20.19" },
  "files": ["dist", "README.md"],
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
$exports,
    "./package.json": "./package.json"
  },
  "scripts": {
    "build": "tsup",
    "typecheck": "tsc --noEmit -p tsconfig.json",
    "test": "vitest run"
  }
}
JSON
cat > $d/tsup.config.ts <<TS
import { libraryConfig } from '../../tsup.library.ts';

export default libraryConfig(new URL('./package.json', import.meta.url), [$entries]);
TS
cat > $d/tsconfig.json <<TS
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "noEmit": true },
  "include": ["src", "../../types/*.d.ts"]
}
TS
cat > $d/tsconfig.build.json <<TS
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "composite": false, "noEmit": false },
  "exclude": ["src/**/*.test.ts", "src/**/*.test-d.ts"]
}
TS
cat > $d/vitest.config.ts <<TS
import { defineConfig } from 'vitest/config';
import { packageProjects } from '../../vitest.shared';

export default defineConfig({ test: { projects: packageProjects('packages/$name') } });
TS
