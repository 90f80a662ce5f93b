/** Removing a key with the minimal diff (yaml-edit.ts REMOVE), as the MIG switch removes nvidia.com/gpu. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editYaml, REMOVE } from '../../../src/manifests/yaml-edit.js';

const PATH = ['resources', 'limits', 'nvidia.com/gpu'];

describe('yaml-edit: removing a key', () => {
  it("deletes the key's line with its comment and keeps every other byte", () => {
    const text = '# header\nresources:\n  limits:\n    memory: 24Gi  # keep\n    nvidia.com/gpu: 1   # a whole GPU\n    other: x\n';
    assert.equal(editYaml(text, 0, [{ path: PATH, value: REMOVE }]), '# header\nresources:\n  limits:\n    memory: 24Gi  # keep\n    other: x\n');
    // the last line of a file without a final newline
    assert.equal(
      editYaml('limits:\n  memory: 1Gi\n  nvidia.com/gpu: 1', 0, [{ path: ['limits', 'nvidia.com/gpu'], value: REMOVE }]),
      'limits:\n  memory: 1Gi\n',
    );
  });

  it('leaves a text without the key as it is, re-serialises a flow mapping, and writes null when asked', () => {
    const text = 'resources:\n  limits:\n    memory: 24Gi\n';
    assert.equal(editYaml(text, 0, [{ path: PATH, value: REMOVE }]), text);
    const flow = 'resources:\n  limits: {memory: 24Gi, nvidia.com/gpu: 1}\n';
    assert.equal(editYaml(flow, 0, [{ path: PATH, value: REMOVE }]), 'resources:\n  limits: { memory: 24Gi }\n');
    const block = 'resources:\n  limits:\n    nvidia.com/gpu: 1 # whole\n';
    assert.equal(editYaml(block, 0, [{ path: PATH, value: null }]), 'resources:\n  limits:\n    nvidia.com/gpu: null # whole\n');
  });
});
