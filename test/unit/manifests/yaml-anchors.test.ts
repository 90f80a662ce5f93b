/**
 * YAML anchors and aliases in a managed manifest (a reviewer's find #7): editing an anchored
 * node changed every alias of it silently (another container's resources, a scale-down policy reusing the HPA's floor),
 * and an edit through an alias threw an error the committer did not expect, so the batch was
 * retried forever. Both are now a `manifest-invalid` rejection that says where and why, and the
 * committer dead-letters it and goes on (real repositories).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy-schema.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { localCommitter, rec } from '../../helpers/committer-local.js';

const POLICY = { ...DEFAULT_POLICY, replicas: { ...DEFAULT_POLICY.replicas, max: 20 } };
const API = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
  annotations: {foresight.dev/managed: "true"}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: app:1
        resources: &res
          requests:
            cpu: 500m   # sized for app
            memory: 256Mi
      - name: sidecar
        image: envoy:1
        resources: *res
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
  namespace: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: &floor 2
  maxReplicas: 6
  behavior:
    scaleDown:
      policies: [{type: Pods, value: *floor, periodSeconds: 60}]
`;

const rejection = (r: ReturnType<typeof rec>): RejectedMessage => {
  try {
    planRecommendation(new Map([['apps/api.yaml', API]]), r, POLICY);
  } catch (err) {
    if (err instanceof RejectedMessage) return err;
    throw err;
  }
  assert.fail('the edit was made');
};

describe('anchors and aliases', () => {
  it('refuses to edit an anchored node (its aliases would change too) and an alias, with a clear reason', () => {
    const anchored = rejection(rec('web/Deployment/api', 'b', [['requests.cpu', '500m', '750m']], { type: 'RESOURCES', container: 'app' }));
    assert.equal(anchored.reason, 'manifest-invalid');
    assert.match(anchored.message, /apps\/api\.yaml: .*resources is anchored \(&res\)/);
    const alias = rejection(rec('web/Deployment/api', 'c', [['requests.cpu', '500m', '100m']], { type: 'RESOURCES', container: 'sidecar' }));
    assert.equal(alias.reason, 'manifest-invalid');
    assert.match(alias.message, /is an alias \(\*res\)/);
    assert.match(rejection(rec('web/Deployment/api', 'a', [['minReplicas', '2', '3']])).message, /minReplicas is anchored \(&floor\)/);
  });

  it('still edits a field beside an anchor that is not on its path', () => {
    const plan = planRecommendation(new Map([['apps/api.yaml', API]]), rec('web/Deployment/api', 'd', [['maxReplicas', '6', '7']]), POLICY);
    assert.equal(plan.changed.get('apps/api.yaml'), API.replace('maxReplicas: 6', 'maxReplicas: 7'));
  });

  it('the committer dead-letters an aliased Helm value as manifest-invalid instead of failing the batch forever', async () => {
    const values = `# cart production values
replicaCount: 2
sizes:
  small: &small
    cpu: 250m
    memory: 256Mi
resources:
  requests: *small
autoscaling:
  minReplicas: 2
  maxReplicas: 6
  targetCPUUtilizationPercentage: 70
`;
    const t = await localCommitter({ 'charts/cart/values-prod.yaml': values });
    const r = rec('shop/Deployment/cart', 'rec-cart-cpu', [['requests.cpu', '250m', '500m']], { type: 'RESOURCES', container: 'cart' });
    const other = rec('payments/Deployment/payments', 'rec-pay', [['maxReplicas', '8', '9']]);
    assert.deepEqual(await t.apply(r, other), ['rec-cart-cpu: manifest-invalid']);
    assert.match(t.git('show', 'main:apps/payments/payments.yaml'), /maxReplicas: 9/, 'the other workload is committed');
    assert.equal(t.git('show', 'main:charts/cart/values-prod.yaml'), values);
  });
});
