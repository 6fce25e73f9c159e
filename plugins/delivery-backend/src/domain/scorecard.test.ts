import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { readDeliveryConfig } from '../config/readDeliveryConfig';
import { evaluateScorecard, ScorecardFacts } from './scorecard';

const HOUR = 3_600_000;
const PINNED = `node:22@sha256:${'a'.repeat(64)}`;

const config = (scorecard: object = {}) =>
  readDeliveryConfig(
    new ConfigReader({
      delivery: {
        defaultLadder: 'standard',
        ladders: {
          standard: {
            environments: [
              { name: 'dev' },
              {
                name: 'production',
                requiredEvidence: ['unit-test', 'signature'],
              },
            ],
          },
          bare: { environments: [{ name: 'live' }] },
        },
        imagePolicy: {
          vulnerabilities: { production: { maxCritical: 0, maxHigh: 1 } },
        },
        scorecard,
      },
    }),
  );

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'orders',
    annotations: {
      'backstage.io/kubernetes-id': 'orders',
      'github.com/project-slug': 'acme/orders',
      'acme.io/runbook': 'https://runbooks/orders',
    },
  },
  spec: { type: 'service', owner: 'team-orders', lifecycle: 'production' },
};

const healthy: ScorecardFacts = {
  production: {
    environment: 'production',
    artifactId: 'a1',
    evidence: {
      'unit-test': 'passed',
      signature: 'passed',
      provenance: 'passed',
    },
    verified: ['signature', 'provenance'],
  },
  latestArtifact: {
    artifactId: 'a2',
    baseImage: PINNED,
    scan: { result: 'passed', critical: 0, high: 1 },
  },
  skipAttempts: 0,
  overduePreviews: 0,
  incidents: { count: 2, open: 0, slowestMs: 40 * 60_000 },
};

function evaluate(
  facts: ScorecardFacts,
  options: { scorecard?: object; ladder?: string; entity?: Entity } = {},
) {
  const delivery = config(options.scorecard);
  return evaluateScorecard({
    entity: options.entity ?? entity,
    ladder: delivery.ladders.get(options.ladder ?? 'standard'),
    facts,
    settings: delivery.scorecard,
  });
}

const statuses = (results: ReturnType<typeof evaluate>) =>
  Object.fromEntries(results.map(r => [r.id, `${r.status}: ${r.reason}`]));

describe('evaluateScorecard', () => {
  it('passes a component on the golden path, with a link to fix each check', () => {
    const results = evaluate(healthy);
    expect(statuses(results)).toEqual({
      'ladder-order':
        'pass: every promotion request in the last 90 d followed the ladder',
      'signed-releases':
        'pass: the production release has a verified signature and provenance',
      'required-evidence':
        'pass: the production release passed unit-test, signature',
      'image-policy':
        'pass: the latest build is on a digest-pinned base and within the vulnerability policy',
      'previews-ttl': 'pass: no preview outlived its TTL',
      'restore-target': 'pass: 2 incidents, each restored within 1 h',
      'catalog-annotations': 'pass: Kubernetes id, source and owner are set',
    });
    expect(results.every(r => r.fixUrl?.startsWith('https://'))).toBe(true);
  });

  it('fails each check with a reason a developer can act on', () => {
    const results = evaluate(
      {
        production: {
          environment: 'production',
          artifactId: 'a1',
          evidence: { 'unit-test': 'failed', signature: 'passed' },
          verified: [],
        },
        latestArtifact: {
          artifactId: 'a2',
          baseImage: PINNED,
          scan: { result: 'passed', critical: 1, high: 3 },
        },
        skipAttempts: 2,
        overduePreviews: 1,
        incidents: { count: 1, open: 0, slowestMs: 3 * HOUR },
      },
      {
        entity: {
          ...entity,
          metadata: { name: 'orders', annotations: {} },
        },
      },
    );
    expect(statuses(results)).toEqual({
      'ladder-order':
        'fail: 2 promotion requests in the last 90 d tried to skip an environment',
      'signed-releases':
        'fail: the production release has no verified signature or provenance (signature only reported)',
      'required-evidence':
        'fail: the production release lacks passed unit-test',
      'image-policy':
        "fail: the latest build's scan finds 1 critical (at most 0) and 3 high (at most 1)",
      'previews-ttl': 'fail: 1 preview outlived its TTL by more than 15 min',
      'restore-target': 'fail: the slowest restore took 3 h; the target is 1 h',
      'catalog-annotations':
        'fail: missing backstage.io/kubernetes-id, github.com/project-slug or backstage.io/source-location',
    });
  });

  it('says when a check does not apply yet, and catches unpinned bases and open incidents', () => {
    const results = evaluate(
      {
        latestArtifact: { artifactId: 'a1', baseImage: 'node:22' },
        skipAttempts: 0,
        overduePreviews: 0,
        incidents: { count: 1, open: 1 },
      },
      { ladder: 'bare' },
    );
    expect(statuses(results)).toMatchObject({
      'signed-releases':
        'not-applicable: nothing is released to production yet',
      'required-evidence':
        'fail: live of the bare ladder requires no evidence; configure requiredEvidence',
      'image-policy':
        "fail: the latest build's base image node:22 is not pinned by digest",
      'restore-target': 'fail: 1 production incident is not restored yet',
    });
  });

  it('leaves out disabled checks and adds the custom ones of the config', () => {
    const results = evaluate(healthy, {
      scorecard: {
        restoreTarget: '30m',
        checks: {
          'previews-ttl': { enabled: false },
          'image-policy': { fixUrl: 'https://wiki.acme/images' },
        },
        custom: [
          {
            id: 'runbook',
            title: 'Has a runbook',
            annotation: 'acme.io/runbook',
          },
          { id: 'sbom', title: 'Production has an SBOM', evidence: 'sbom' },
        ],
      },
    });
    expect(results.map(r => r.id)).toEqual([
      'ladder-order',
      'signed-releases',
      'required-evidence',
      'image-policy',
      'restore-target',
      'catalog-annotations',
      'runbook',
      'sbom',
    ]);
    expect(results.find(r => r.id === 'image-policy')!.fixUrl).toBe(
      'https://wiki.acme/images',
    );
    expect(statuses(results)).toMatchObject({
      'restore-target':
        'fail: the slowest restore took 40 min; the target is 30 min',
      runbook: 'pass: acme.io/runbook is set',
      sbom: 'fail: the production release has no passed sbom',
    });
  });

  it('refuses a scorecard config it would misread, naming the key', () => {
    expect(() =>
      config({ checks: { 'no-such-check': { enabled: false } } }),
    ).toThrow(
      "Invalid delivery config at 'delivery.scorecard.checks.no-such-check': unknown check",
    );
    expect(() =>
      config({
        custom: [{ id: 'x', title: 'X', annotation: 'a', evidence: 'sbom' }],
      }),
    ).toThrow(
      "Invalid delivery config at 'delivery.scorecard.custom[0]': give exactly one of annotation or evidence",
    );
    expect(() =>
      config({ custom: [{ id: 'ladder-order', title: 'X', annotation: 'a' }] }),
    ).toThrow("'ladder-order' must be a unique lowercase id");
  });
});
