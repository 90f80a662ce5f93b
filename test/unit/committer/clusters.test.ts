/**
 * The recommendation's cluster (a reviewer's find #9: it was ignored, so an EU recommendation
 * edited whatever file discovery or the mapping's only pin named). The mapping file may name
 * the clusters the repository deploys (a recommendation for another is refused) and pin a
 * workload's file per cluster; a workload's review branch holds each cluster's proposals apart.
 * Real repositories.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { planRecommendation } from '../../../src/manifests/plan.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { localCommitter, rec } from '../../helpers/committer-local.js';

const web = (r: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {foresight.dev/managed: "true"}
spec:
  replicas: ${r}
  template:
    spec:
      containers:
      - name: app
        image: web:1
`;
const MAPPING = `apiVersion: foresight.dev/v1
kind: Mapping
include: [clusters]
clusters: [eu, us]
workloads:
  - workload: shop/Deployment/web
    cluster: eu
    file: clusters/eu/shop/web.yaml
  - workload: shop/Deployment/web
    cluster: us
    file: clusters/us/shop/web.yaml
`;
const files = (): Map<string, string> =>
  new Map([
    ['foresight-mapping.yaml', MAPPING],
    ['clusters/eu/shop/web.yaml', web(2)],
    ['clusters/us/shop/web.yaml', web(4)],
  ]);

describe('clusters', () => {
  it("edits the file the mapping pins for the recommendation's cluster, and refuses a cluster the repository does not deploy", () => {
    const eu = planRecommendation(files(), rec('shop/Deployment/web', 'eu-1', [['replicas', '2', '3']], { cluster: 'eu' }), undefined);
    assert.deepEqual([...eu.changed.keys()], ['clusters/eu/shop/web.yaml']);
    const us = planRecommendation(files(), rec('shop/Deployment/web', 'us-1', [['replicas', '4', '5']], { cluster: 'us' }), undefined);
    assert.deepEqual([...us.changed.keys()], ['clusters/us/shop/web.yaml']);
    assert.throws(
      () => planRecommendation(files(), rec('shop/Deployment/web', 'ap-1', [['replicas', '2', '3']], { cluster: 'ap' }), undefined),
      (err: RejectedMessage) => err.reason === 'unknown-workload' && /cluster ap, and this repository deploys eu, us/.test(err.message),
    );
  });

  it("keeps each cluster's proposal on the workload's review branch", async () => {
    const t = await localCommitter(Object.fromEntries(files()));
    assert.deepEqual(await t.apply(rec('shop/Deployment/web', 'eu-c', [['replicas', '2', '6']], { cluster: 'eu', critical: true })), []);
    assert.deepEqual(await t.apply(rec('shop/Deployment/web', 'us-c', [['replicas', '4', '9']], { cluster: 'us', critical: true })), []);
    const branch = 'foresight/shop/deployment/web';
    assert.match(t.git('show', `${branch}:clusters/eu/shop/web.yaml`), /replicas: 6/);
    assert.match(t.git('show', `${branch}:clusters/us/shop/web.yaml`), /replicas: 9/);
    const [pr] = LocalGitBackend.pullRequests(t.remote);
    assert.deepEqual(
      pr.body.split('\n').filter((l) => l.startsWith('| replicas')),
      ['| replicas | `clusters/eu/shop/web.yaml` | 2 | **6** |', '| replicas | `clusters/us/shop/web.yaml` | 4 | **9** |'],
    );
  });
});
