/**
 * A manifest written with CRLF line endings (a Windows checkout without autocrlf) keeps them:
 * a replaced value, an added key and a re-serialised flow mapping all come out with CRLF, never
 * a mixed file (a reviewer's suspicion, confirmed: added lines had LF).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editYaml, REMOVE } from '../../../src/manifests/yaml-edit.js';

const crlf = (s: string): string => s.replace(/\n/g, '\r\n');
const mixed = (s: string): boolean => /[^\r]\n/.test(s) || s.startsWith('\n');

describe('CRLF manifests', () => {
  it('keep CRLF in replaced, added, removed and re-serialised parts', () => {
    const text = crlf('spec:\n  minReplicas: 2 # floor\n  maxReplicas: 5\nresources:\n  limits: {memory: 1Gi}\n');
    const replaced = editYaml(text, 0, [{ path: ['spec', 'minReplicas'], value: 3 }]);
    assert.equal(replaced, text.replace('minReplicas: 2', 'minReplicas: 3'));
    const added = editYaml(text, 0, [{ path: ['spec', 'replicas'], value: 4 }]);
    assert.equal(added, crlf('spec:\n  minReplicas: 2 # floor\n  maxReplicas: 5\n  replicas: 4\nresources:\n  limits: {memory: 1Gi}\n'));
    const removed = editYaml(text, 0, [{ path: ['spec', 'maxReplicas'], value: REMOVE }]);
    assert.equal(removed, crlf('spec:\n  minReplicas: 2 # floor\nresources:\n  limits: {memory: 1Gi}\n'));
    const flow = editYaml(text, 0, [{ path: ['resources', 'limits', 'cpu'], value: '2' }]);
    assert.ok(!mixed(flow), JSON.stringify(flow));
    assert.match(flow, /cpu: "2"/);
  });
});
