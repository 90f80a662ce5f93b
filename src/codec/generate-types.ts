/** `npm run gen:types`: rewrites src/codec/generated-types.ts from schemas/. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../util/paths.js';
import { renderTypes } from './avro-to-ts.js';
import { SCHEMA_NAMES, readSchemaJson } from './schemas.js';

export const GENERATED_TYPES_FILE = path.join(PROJECT_ROOT, 'src', 'codec', 'generated-types.ts');

export function generatedTypesSource(): string {
  return renderTypes(SCHEMA_NAMES.map((name) => ({ name, schema: readSchemaJson(name) })));
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  writeFileSync(GENERATED_TYPES_FILE, generatedTypesSource());
  console.log(`wrote ${GENERATED_TYPES_FILE}`);
}
