import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFailure, type ServiceStatus } from '../../../src/local-stack/stack.js';
import type { ServiceName } from '../../../src/local-stack/service-spec.js';

// A service that fails at start-up (its port taken between the check and its bind, a corrupt data
// file) left the others running with only the failure said: a half-started stack, found later.
describe("stack up's message when a service did not start", () => {
  const failure = 'redis exited during start-up (pid 42); see its log /x/redis.log';
  const running = (name: ServiceName): ServiceStatus => ({ name, state: 'running', address: 'a', pid: 1, logFile: 'l' });

  it('names the services left running and what brings the stack back to one state', () => {
    const msg = startFailure([failure], [running('kafka'), running('registry')]);
    assert.ok(msg.startsWith(failure), msg);
    assert.match(msg, /kafka and registry are running: `stack up` again starts the rest, `stack down` stops them$/);
    assert.match(startFailure([failure], [running('kafka')]), /kafka is running: .* `stack down` stops it$/);
  });

  it('says only the failures when nothing of this folder runs (an external service is not stopped by stack down)', () => {
    assert.equal(startFailure([failure], [{ name: 'kafka', state: 'external', address: 'a', logFile: 'l' }]), failure);
  });
});
