#!/usr/bin/env node
// Entry point of the `foresight` command: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('foresight: not built yet. Run `npm run build` (or scripts/install.sh) first.');
  process.exit(1);
}
await import(main);
