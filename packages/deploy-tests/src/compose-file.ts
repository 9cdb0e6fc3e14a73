/**
 * Reading `deploy/compose/compose.yaml` and validating it offline against the Compose
 * Specification's JSON schema (the copy that the `dclint` package ships), with the same Ajv
 * settings dclint uses. YAML merge keys (`<<: *anchor`) are resolved first, as Compose does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

/** The parts of a Compose service the checks read. */
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  command?: string | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  ports?: (string | number | { published?: string | number })[];
  container_name?: string;
  profiles?: string[];
  user?: string;
  read_only?: boolean;
  tmpfs?: string | string[];
  stop_grace_period?: string;
  volumes?: (string | { type?: string; source?: string })[];
}

/** A parsed Compose file. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

/** Parses a Compose file with merge keys resolved. */
export function loadComposeFile(path: string): ComposeFile {
  const document = parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile | null;
  if (!document || typeof document !== 'object' || !document.services) throw new Error(`${path}: no services`);
  return document;
}

let validator: ReturnType<Ajv['compile']> | undefined;

function composeValidator(): ReturnType<Ajv['compile']> {
  if (validator) return validator;
  const packageJson = createRequire(import.meta.url).resolve('dclint/package.json');
  const schema = JSON.parse(readFileSync(join(dirname(packageJson), 'schemas', 'compose.schema.json'), 'utf8'));
  delete schema.$schema; // draft-07, Ajv's default dialect; its URL spelling is not one Ajv registers
  validator = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
  return validator;
}

/** Compose Specification schema errors of a parsed file; none when it is valid. */
export function composeSchemaProblems(document: unknown): string[] {
  const validate = composeValidator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error) => `compose${error.instancePath || '/'}: ${error.message} ${JSON.stringify(error.params)}`,
  );
}
