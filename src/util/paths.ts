/** Locations inside the project checkout, found from this compiled file (dist/src/util/paths.js). */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const SCHEMAS_DIR = path.join(PROJECT_ROOT, 'schemas');
export const STACK_POM = path.join(PROJECT_ROOT, 'stack', 'pom.xml');
export const STACK_TARGET = path.join(PROJECT_ROOT, 'stack', 'target');
