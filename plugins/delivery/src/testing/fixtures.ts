import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  Artifact,
  ArtifactRef,
  ComponentSummary,
  DeliveryApi,
  DoraMetrics,
  Evidence,
  PipelineMetrics,
  ReleaseComparison,
  Scorecard,
  ScorecardSummary,
  Overview,
  Preview,
  Promotion,
} from '../api';

export const componentRef = 'component:default/payments-api';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: {
      'backstage.io/kubernetes-id': 'payments-api',
      'backstage.io/source-location':
        'url:https://github.com/acme/payments-api/tree/main/',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3600_000).toISOString();

/** A digest that no build in the ledger has. */
export const HAND_DEPLOYED = `sha256:${'d'.repeat(64)}`;

export function artifact(tag: string, n: number): ArtifactRef {
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    component: componentRef,
    digest: `sha256:${n.toString(16).padStart(64, 'a')}`,
    imageRepository: 'ghcr.io/acme/payments-api',
    tags: [tag],
    commitSha: `c0ffee${n}`.padEnd(40, '0'),
    buildId: String(n),
    buildUrl: `https://ci.example.com/builds/${n}`,
    createdBy: 'github-actions',
    createdAt: hoursAgo(48),
  };
}

export const evidence: Evidence[] = [
  {
    id: 1,
    kind: 'image-scan',
    result: 'passed',
    status: 'reported',
    summary: { vulnerabilities: { critical: 0, high: 1, medium: 4 } },
    reportedBy: 'github-actions',
    reportedAt: hoursAgo(47),
  },
  {
    id: 2,
    kind: 'unit-test',
    result: 'passed',
    status: 'reported',
    summary: { tests: { passed: 412, failed: 0 } },
    reportedBy: 'github-actions',
    reportedAt: hoursAgo(47),
  },
  {
    id: 3,
    kind: 'provenance',
    result: 'passed',
    status: 'verified',
    reportedBy: 'github-actions',
    reportedAt: hoursAgo(47),
    verification: {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      bundleDigest: `sha256:${'b'.repeat(64)}`,
      content: 'dsse',
      predicateType: 'https://slsa.dev/provenance/v1',
      signer: {
        type: 'certificate',
        issuer: 'https://token.actions.githubusercontent.com',
        subject:
          'https://github.com/acme/payments-api/.github/workflows/build.yaml@refs/heads/main',
        sourceRepository: 'github.com/acme/payments-api',
        sourceCommit: 'c0ffee1234567890c0ffee1234567890c0ffee12',
        runUrl:
          'https://github.com/acme/payments-api/actions/runs/141/attempts/1',
      },
      subjects: [
        {
          name: 'ghcr.io/acme/payments-api',
          digest: { sha256: 'a'.repeat(64) },
        },
      ],
      provenance: {
        builderId: 'https://github.com/actions/runner/github-hosted',
        sourceRepository: 'github.com/acme/payments-api',
        sourceRef: 'refs/heads/main',
        sourceCommit: 'c0ffee1234567890c0ffee1234567890c0ffee12',
        runUrl:
          'https://github.com/acme/payments-api/actions/runs/141/attempts/1',
      },
      transparencyLog: {
        logIndex: '152839447',
        logId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=',
        integratedTime: hoursAgo(47),
      },
    },
  },
];

const env = (name: string, title: string) => ({
  name,
  title,
  executor: 'external' as const,
  strategy: 'rolling' as const,
  requiredEvidence: [],
  verifiedEvidence: [],
  soakTimeSeconds: 0,
  approvals: {
    count: name === 'production' ? 1 : 0,
    groups: ['group:default/platform'],
  },
  rollbackThresholds: {},
  rollbackRequiresApprovals: false,
  namespace: `payments-api-${name}`,
  cluster: 'local',
});

export function pendingPromotion(
  overrides: Partial<Promotion> = {},
): Promotion {
  return {
    id: '11111111-0000-4000-8000-000000000001',
    component: componentRef,
    environment: 'production',
    ladder: 'standard',
    kind: 'normal',
    state: 'awaiting-approval',
    artifact: artifact('1.43.0', 143),
    requestedBy: 'github-actions',
    triggeredBy: 'bob-b',
    people: [
      {
        ref: 'user:default/bob',
        role: 'triggered-by',
        matchedBy: 'GitHub login bob-b',
      },
      {
        ref: 'user:default/bob',
        role: 'commit-author',
        matchedBy: 'e-mail bob@example.com',
      },
    ],
    reason: 'Fix for INC-2231',
    gates: [
      {
        gate: 'ladder',
        verdict: 'passed',
        message: 'staging released sha256:… 2 h ago',
      },
      {
        gate: 'approvals',
        verdict: 'pending',
        message:
          'needs 1 approval from members of group:default/platform, not the requester',
      },
    ],
    approvals: { required: 1, received: 0, decisions: [] },
    events: [],
    viewer: { canApprove: true },
    createdAt: hoursAgo(2),
    updatedAt: hoursAgo(2),
    ...overrides,
  };
}

/** payments-api: 1.43.0 in dev and staging, 1.41.0 in production (a rollback), 1.43.0 awaiting approval. */
export function overview(): Overview {
  return {
    component: componentRef,
    ladder: { name: 'standard', title: 'Standard' },
    environments: [
      {
        environment: env('dev', 'Development'),
        release: {
          artifact: artifact('1.43.0', 143),
          evidence,
          promotionId: 'p-dev',
          releasedAt: hoursAgo(20),
          releasedBy: 'github-actions',
          kind: 'normal',
        },
        candidate: {
          artifact: artifact('1.44.0-rc.1', 144),
          evidence: [],
          gates: [
            {
              gate: 'quarantine',
              verdict: 'passed',
              message: 'not quarantined',
            },
            {
              gate: 'evidence',
              verdict: 'failed',
              message:
                'dev requires unit-test: latest unit-test (14 of 412 tests failed) failed',
            },
          ],
          decision: 'refused',
          hotfixAllowed: false,
        },
        live: {
          state: 'known',
          cluster: 'dev-eu',
          namespace: 'payments-api-dev',
          observedAt: hoursAgo(0),
          source: { watched: true },
          runningDigests: [artifact('1.43.0', 143).digest],
          deployments: [
            {
              name: 'payments-api',
              replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
              restarts: 1,
              images: [
                {
                  container: 'app',
                  image: 'ghcr.io/acme/payments-api:1.43.0',
                  digest: artifact('1.43.0', 143).digest,
                },
              ],
            },
          ],
        },
      },
      {
        environment: env('staging', 'Staging'),
        release: {
          artifact: artifact('1.43.0', 143),
          evidence,
          promotionId: 'p-staging',
          releasedAt: hoursAgo(18),
          releasedBy: 'github-actions',
          kind: 'normal',
        },
        rollbackTarget: {
          artifact: artifact('1.41.0', 141),
          promotionId: 'p-old',
          releasedAt: hoursAgo(120),
        },
        live: {
          state: 'known',
          cluster: 'dev-eu',
          namespace: 'payments-api-staging',
          observedAt: hoursAgo(0),
          source: {
            watched: false,
            reason:
              'the watch of pods in payments-api-staging broke: socket hang up',
          },
          runningDigests: [HAND_DEPLOYED],
          deployments: [
            {
              name: 'payments-api',
              replicas: { desired: 3, updated: 3, ready: 1, available: 1 },
              restarts: 7,
              images: [
                { container: 'app', image: 'ghcr.io/acme/payments-api:hotfix' },
              ],
              problems: [
                'Available: MinimumReplicasUnavailable — Deployment does not have minimum availability.',
              ],
            },
          ],
        },
        drift: {
          expected: artifact('1.43.0', 143).digest,
          running: [HAND_DEPLOYED],
          since: hoursAgo(3),
        },
      },
      {
        environment: env('production', 'Production'),
        release: {
          artifact: artifact('1.41.0', 141),
          evidence,
          promotionId: 'p-prod',
          releasedAt: hoursAgo(40),
          releasedBy: 'user:default/alice',
          kind: 'rollback',
        },
        activePromotion: pendingPromotion(),
        live: {
          state: 'unknown',
          cluster: 'prod-eu',
          namespace: 'payments-api-production',
          observedAt: hoursAgo(0),
          reason: 'timeout: prod-eu: no answer within 3000 ms',
        },
      },
    ],
  };
}

export function preview(overrides: Partial<Preview> = {}): Preview {
  return {
    id: 'pv-42',
    component: componentRef,
    cluster: 'dev-eu',
    namespace: 'preview-payments-api-pr42-1a2b3c',
    pullRequest: 42,
    state: 'ready',
    requestedBy: 'github-actions',
    createdAt: hoursAgo(3),
    updatedAt: hoursAgo(3),
    expiresAt: new Date(Date.now() + 5 * 3600_000 + 90_000).toISOString(),
    ...overrides,
  };
}

/** A live preview for PR 42, a failed one for a branch, and a deleted one. */
export function previews(): Preview[] {
  return [
    preview(),
    preview({
      id: 'pv-branch',
      pullRequest: undefined,
      branch: 'feature/fast-refunds',
      namespace: 'preview-payments-api-feature-fast-refunds-4d5e6f',
      state: 'failed',
      reason: 'dev-eu: no answer within 3000 ms',
      updatedAt: hoursAgo(1),
    }),
    preview({
      id: 'pv-old',
      pullRequest: 17,
      namespace: 'preview-payments-api-pr17-0f0f0f',
      state: 'deleted',
      deletedAt: hoursAgo(30),
      expiresAt: hoursAgo(30),
    }),
  ];
}

export function conflict(message: string): Promise<never> {
  const body = JSON.stringify({
    error: { name: 'PromotionRefusedError', message },
    request: { method: 'POST', url: '/api/delivery/promotions' },
    response: { statusCode: 409 },
  });
  return ResponseError.fromResponse(
    new Response(body, {
      status: 409,
      headers: { 'content-type': 'application/json' },
    }) as any,
  ).then(e => Promise.reject(e));
}

/**
 * DORA figures of a window: 12 releases, lead time 3 h 20 min (p90 1 d 2 h),
 * 2 failures of 13 changes, restores in 45 min with one incident open.
 */
export function doraMetrics(days = 30): DoraMetrics {
  const to = Date.parse('2026-11-27T00:00:00Z');
  const from = to - days * 86_400_000;
  const bucket = days <= 31 ? 'day' : 'week';
  const step = bucket === 'day' ? 86_400_000 : 7 * 86_400_000;
  return {
    window: {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      days,
      bucket,
    },
    scope: { kind: 'component', ref: 'component:default/payments-api' },
    deploymentFrequency: {
      deployments: 12,
      perDay: 12 / days,
      perWeek: (12 / days) * 7,
      band: days <= 84 ? 'daily' : 'weekly',
    },
    leadTime: { samples: 12, medianSeconds: 12_000, p90Seconds: 93_600 },
    changeFailureRate: { changes: 13, failures: 2, rate: 2 / 13 },
    timeToRestore: { incidents: 2, restored: 1, open: 1, medianSeconds: 2700 },
    series: Array.from(
      { length: Math.ceil(days / (step / 86_400_000)) },
      (_, i) => ({
        start: new Date(from + i * step).toISOString(),
        deployments: i % 3 === 0 ? 1 : 0,
        changes: i % 3 === 0 ? 1 : 0,
        failures: i === 3 ? 1 : 0,
        ...(i % 3 === 0
          ? {
              changeFailureRate: i === 3 ? 1 : 0,
              leadTimeMedianSeconds: 12_000,
            }
          : {}),
      }),
    ),
    definitions: {
      deploymentFrequency: 'Production releases that went live in the window.',
      leadTime: 'From the commit time of the exact artifact released.',
      changeFailureRate: 'Production changes that failed or were rolled back.',
      timeToRestore: 'From a failed change to the next release.',
    },
  };
}

/** A scorecard with a pass, a failure with a fix link and one not applicable. */
export function scorecard(ref = componentRef): Scorecard {
  return {
    component: ref,
    passed: 1,
    applicable: 2,
    checks: [
      {
        id: 'ladder-order',
        title: 'Releases go through the ladder without skipping',
        status: 'pass',
        reason: 'every promotion request in the last 90 d followed the ladder',
        fixUrl: 'https://docs.example.com/gates',
      },
      {
        id: 'signed-releases',
        title: 'Production releases carry verified signature and provenance',
        status: 'fail',
        reason: 'the production release has no passed provenance evidence',
        fixUrl: 'https://docs.example.com/signing',
      },
      {
        id: 'restore-target',
        title: 'Production incidents were restored within the target',
        status: 'not-applicable',
        reason: 'no production incidents in the last 90 d',
      },
    ],
  };
}

export function scorecardSummary(): ScorecardSummary {
  return {
    scope: { kind: 'organisation' },
    components: 4,
    checks: [
      {
        id: 'ladder-order',
        title: 'Releases go through the ladder without skipping',
        passing: 3,
        applicable: 4,
        share: 0.75,
      },
      {
        id: 'restore-target',
        title: 'Production incidents were restored within the target',
        passing: 0,
        applicable: 0,
      },
    ],
    owners: [
      {
        owner: 'group:default/team-storefront',
        components: 2,
        passingAll: 2,
        share: 1,
      },
      {
        owner: 'group:default/team-payments',
        components: 2,
        passingAll: 1,
        share: 0.5,
      },
    ],
  };
}

/** Pipeline stats of a window. */
export function pipelineMetrics(days = 30): PipelineMetrics {
  const dora = doraMetrics(days);
  return {
    window: { from: dora.window.from, to: dora.window.to, days },
    scope: dora.scope,
    timeToEnvironment: [
      {
        environment: 'dev',
        releases: 20,
        medianSeconds: 900,
        p90Seconds: 1800,
      },
      {
        environment: 'staging',
        releases: 15,
        medianSeconds: 7200,
        p90Seconds: 14_400,
      },
      {
        environment: 'production',
        releases: 12,
        medianSeconds: 90_000,
        p90Seconds: 172_800,
      },
    ],
    refusals: {
      requests: 60,
      refused: 9,
      rate: 0.15,
      byGate: [
        { gate: 'soak', refused: 5 },
        { gate: 'evidence', refused: 3 },
        { gate: 'window', refused: 1 },
      ],
    },
    approvalWait: { promotions: 12, medianSeconds: 5400, p90Seconds: 36_000 },
    evidence: [
      { kind: 'image-scan', reported: 47, failed: 2, failureRate: 2 / 47 },
      { kind: 'unit-test', reported: 50, failed: 5, failureRate: 0.1 },
    ],
  };
}

/**
 * An in-memory DeliveryApi: reads return `state`, actions are jest mocks
 * that change it the way the backend would.
 */
/** A release that made error rate worse: 1% before, about 20% after, over 30 min each side. */
export function comparison(
  overrides: Partial<ReleaseComparison> = {},
): ReleaseComparison {
  const liveAt = Date.now() - 2 * 3600_000;
  const points = (before: number, after: number): number[][] =>
    Array.from({ length: 60 }, (_, i) => {
      const t = liveAt - 30 * 60_000 + i * 60_000;
      return [
        t,
        t < liveAt ? before + (i % 3) * 0.001 : after + (i % 4) * 0.004,
      ];
    });
  return {
    promotionId: 'p-worse',
    componentRef,
    environment: 'production',
    digest: `sha256:${'4'.repeat(64)}`,
    version: '1.43.0',
    previousDigest: `sha256:${'3'.repeat(64)}`,
    liveAt: new Date(liveAt).toISOString(),
    windowMs: 30 * 60_000,
    worse: true,
    metrics: [
      {
        name: 'error-rate',
        unit: 'ratio',
        failWhen: 'above',
        threshold: 0.05,
        before: 0.011,
        after: 0.206,
        worse: true,
        points: points(0.01, 0.2),
      },
      {
        name: 'p95-latency',
        unit: 'seconds',
        failWhen: 'above',
        threshold: 0.5,
        before: 0.18,
        after: 0.19,
        worse: false,
        points: points(0.18, 0.19),
      },
    ],
    computedAt: new Date(liveAt + 31 * 60_000).toISOString(),
    ...overrides,
  };
}

export function fakeDeliveryApi(initial: Overview = overview()) {
  const state = {
    overview: initial,
    previews: previews(),
    comparisons: [
      comparison(),
      comparison({
        promotionId: 'p-fine',
        environment: 'staging',
        worse: false,
        metrics: comparison().metrics.map(m => ({ ...m, worse: false })),
      }),
    ],
  };
  const artifacts: Artifact[] = [
    {
      ...artifact('1.44.0-rc.1', 144),
      evidence: [{ ...evidence[1], result: 'failed' }],
      releases: [],
    },
    {
      ...artifact('1.43.0', 143),
      evidence,
      releases: [{ environment: 'dev', releasedAt: hoursAgo(20) }],
    },
  ];
  const api = {
    getHealth: jest.fn(),
    getOverview: jest.fn(async () => state.overview),
    listArtifacts: jest.fn(async () => ({ items: artifacts })),
    getArtifact: jest.fn(async id => ({
      ...artifacts.find(a => a.id === id)!,
      evidenceHistory: evidence,
      quarantineHistory: [],
    })),
    listPromotions: jest.fn(async () => ({
      items: [
        pendingPromotion(),
        pendingPromotion({ id: 'p2', state: 'refused', environment: 'dev' }),
      ],
    })),
    listComponents: jest.fn(async () => ({ items: [] as ComponentSummary[] })),
    requestPromotion: jest.fn(),
    approve: jest.fn(async id => {
      const production = state.overview.environments[2];
      const approved = pendingPromotion({
        id,
        state: 'approved',
        approvals: {
          required: 1,
          received: 1,
          decisions: [
            {
              by: 'user:default/guest',
              decision: 'approve',
              at: new Date().toISOString(),
            },
          ],
        },
        viewer: undefined,
      });
      state.overview = {
        ...state.overview,
        environments: [
          state.overview.environments[0],
          state.overview.environments[1],
          { ...production, activePromotion: approved },
        ],
      };
      return approved;
    }),
    reject: jest.fn(),
    abort: jest.fn(),
    actOnRollout: jest.fn(async () => pendingPromotion()),
    rollback: jest.fn(),
    quarantine: jest.fn(),
    liftQuarantine: jest.fn(),
    listPreviews: jest.fn(async (_ref, options) => ({
      items: state.previews.filter(
        p => options.includeDeleted || p.state !== 'deleted',
      ),
    })),
    extendPreview: jest.fn(async (id, ttl) => {
      const hours = { '4h': 4, '1d': 24, '3d': 72, '7d': 168 }[ttl as string]!;
      const capped = hours > 72;
      const updated = {
        ...state.previews.find(p => p.id === id)!,
        expiresAt: new Date(
          Date.now() + Math.min(hours, 72) * 3600_000,
        ).toISOString(),
      };
      state.previews = state.previews.map(p => (p.id === id ? updated : p));
      return { preview: updated, capped };
    }),
    destroyPreview: jest.fn(async id => {
      const updated = {
        ...state.previews.find(p => p.id === id)!,
        state: 'deleting' as const,
      };
      state.previews = state.previews.map(p => (p.id === id ? updated : p));
      return updated;
    }),
    getDoraMetrics: jest.fn(async (scope: { days?: number }) =>
      doraMetrics(scope.days ?? 30),
    ),
    getPipelineMetrics: jest.fn(async (scope: { days?: number }) =>
      pipelineMetrics(scope.days ?? 30),
    ),
    getScorecard: jest.fn(async (ref: string) => scorecard(ref)),
    getScorecardSummary: jest.fn(async () => scorecardSummary()),
    listComparisons: jest.fn(async (filter: { worse?: boolean }) => ({
      items: state.comparisons.filter(
        c => filter.worse === undefined || c.worse === filter.worse,
      ),
    })),
  } as unknown as jest.Mocked<DeliveryApi>;
  return { api, state };
}
