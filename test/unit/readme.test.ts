/** The README documents every configuration variable and every command. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ALL_VARIABLES } from '../../src/config/index.js';
import { STACK_VARIABLES } from '../../src/local-stack/stack-config.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';

describe('README', () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  it('documents every environment variable', () => {
    for (const v of [...ALL_VARIABLES, ...STACK_VARIABLES]) assert.ok(readme.includes(`\`${v.name}\``), v.name);
  });
  it('gives exactly two quick-start commands', () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.equal(quick.trim().split('\n').length, 2);
  });
});
