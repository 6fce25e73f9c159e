import { ConfigReader } from '@backstage/config';
import { readDeliveryConfig } from './readDeliveryConfig';

const production = {
  name: 'production',
  title: 'Production',
  cluster: 'prod-eu',
  namespace: '{namespace}-{component}',
  requiredEvidence: ['unit-test', 'image-scan', 'signature'],
  soakTime: '2h',
  approvals: { count: 2, groups: ['group:default/platform', 'team-payments'] },
  strategy: 'canary',
  rollbackThresholds: {
    maxErrorRate: 0.02,
    maxRestarts: 2,
    maxP95LatencyMs: 500,
  },
  windows: {
    timezone: 'Europe/Berlin',
    allow: [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' },
    ],
    freezes: [
      { from: '2026-12-20T00:00', to: '2027-01-04T00:00', reason: 'Year end' },
    ],
  },
  rollback: { requireApprovals: true },
};

/** The clusters preview settings may name. */
const kubernetes = {
  clusterLocatorMethods: [
    {
      type: 'config',
      clusters: ['dev-cluster', 'c'].map(name => ({
        name,
        url: `https://${name}.example.com`,
      })),
    },
  ],
};

function read(delivery: object | undefined) {
  return readDeliveryConfig(
    new ConfigReader(
      delivery === undefined ? { kubernetes } : { kubernetes, delivery },
    ),
  );
}

function withEnv(overrides: object) {
  return {
    ladders: {
      standard: {
        environments: [{ name: 'dev' }, { ...production, ...overrides }],
      },
    },
  };
}

describe('readDeliveryConfig', () => {
  it('reads a complete ladder', () => {
    const config = read({
      defaultLadder: 'standard',
      ladders: {
        standard: {
          title: 'Standard',
          environments: [{ name: 'dev' }, production],
        },
        regulated: { environments: [{ name: 'production' }] },
      },
      imagePolicy: {
        forbiddenTags: ['latest'],
        maxSizeMb: 800,
        vulnerabilities: { production: { maxCritical: 0, maxHigh: 3 } },
      },
    });

    expect(config.defaultLadder).toBe('standard');
    expect([...config.ladders.keys()]).toEqual(['standard', 'regulated']);
    const [dev, prod] = config.ladders.get('standard')!.environments;
    expect(dev).toMatchObject({
      name: 'dev',
      title: 'dev',
      namespace: '{component}-{environment}',
      requiredEvidence: [],
      soakTimeMs: 0,
      approvals: { count: 0, groups: [] },
      strategy: 'rolling',
      rollbackRequiresApprovals: false,
    });
    expect(prod).toMatchObject({
      title: 'Production',
      cluster: 'prod-eu',
      namespace: '{namespace}-{component}',
      requiredEvidence: ['unit-test', 'image-scan', 'signature'],
      soakTimeMs: 2 * 3600_000,
      approvals: {
        count: 2,
        groups: ['group:default/platform', 'group:default/team-payments'],
      },
      strategy: 'canary',
      rollbackThresholds: {
        maxErrorRate: 0.02,
        maxRestarts: 2,
        maxP95LatencyMs: 500,
      },
      rollbackRequiresApprovals: true,
      vulnerabilityLimits: { maxCritical: 0, maxHigh: 3 },
    });
    expect(prod.windows!.allow[0]).toMatchObject({
      days: [1, 2, 3, 4, 5],
      fromMinute: 480,
      toMinute: 1080,
      label: 'mon,tue,wed,thu,fri 08:00-18:00 Europe/Berlin',
    });
    // 2026-12-20T00:00 in Berlin is 23:00 UTC the day before.
    expect(new Date(prod.windows!.freezes[0].from).toISOString()).toBe(
      '2026-12-19T23:00:00.000Z',
    );
    expect(config.imagePolicy).toEqual({
      forbiddenTags: ['latest'],
      maxSizeBytes: 800e6,
    });
  });

  it('falls back to dev, staging, production when no ladder is configured', () => {
    const config = read(undefined);
    expect(config.defaultLadder).toBe('default');
    expect(
      config.ladders.get('default')!.environments.map(e => e.name),
    ).toEqual(['dev', 'staging', 'production']);
  });

  it('accepts soak times as ISO durations and objects', () => {
    expect(
      read(withEnv({ soakTime: 'PT30M' })).ladders.get('standard')!
        .environments[1].soakTimeMs,
    ).toBe(1800_000);
    expect(
      read(withEnv({ soakTime: { hours: 1, minutes: 15 } })).ladders.get(
        'standard',
      )!.environments[1].soakTimeMs,
    ).toBe(4500_000);
  });

  it.each([
    [
      { strategy: 'bluegreen' },
      "delivery.ladders.standard.environments[1].strategy': 'bluegreen' is not one of rolling, blue-green, canary",
    ],
    [
      { requiredEvidence: ['unit-tests'] },
      "environments[1].requiredEvidence[0]': 'unit-tests' is not an evidence kind",
    ],
    [{ soakTime: '2 fortnights' }, "environments[1].soakTime'"],
    [
      { approvals: { count: 1 } },
      "environments[1].approvals.groups': 1 approval(s) are required",
    ],
    [
      { approvals: { count: 1.5, groups: ['platform'] } },
      "environments[1].approvals.count': must be a whole number",
    ],
    [
      { approvals: { count: 1, groups: ['not a ref:'] } },
      "environments[1].approvals.groups[0]'",
    ],
    [
      { rollbackThresholds: { maxErrorRate: 5 } },
      "rollbackThresholds.maxErrorRate': is a share of requests between 0 and 1",
    ],
    [
      { rollbackThresholds: { maxLatency: 5 } },
      "rollbackThresholds.maxLatency': unknown threshold",
    ],
    [
      { windows: { timezone: 'Mars/Olympus' } },
      "windows.timezone': 'Mars/Olympus' is not an IANA time zone",
    ],
    [
      {
        windows: { allow: [{ days: ['funday'], from: '08:00', to: '10:00' }] },
      },
      "windows.allow[0].days[0]': 'funday' is not a day",
    ],
    [
      { windows: { allow: [{ from: '8am', to: '10:00' }] } },
      "windows.allow[0].from': '8am' is not a time of day HH:mm",
    ],
    [
      { windows: { freezes: [{ from: '2026-12-24', to: '2026-12-20' }] } },
      "windows.freezes[0]': the freeze ends before it starts",
    ],
    [
      { namespace: '{team}-{component}' },
      "environments[1].namespace': unknown placeholder {team}",
    ],
    [{ name: 'Prod' }, "environments[1].name': 'Prod' is not a valid name"],
    [
      { requiredEvidences: ['unit-test'] },
      "environments[1].requiredEvidences': unknown key",
    ],
  ])('refuses %j naming the key', (overrides, message) => {
    expect(() => read(withEnv(overrides))).toThrow(message);
  });

  it('refuses a duplicate environment', () => {
    expect(() =>
      read({
        ladders: { a: { environments: [{ name: 'dev' }, { name: 'dev' }] } },
      }),
    ).toThrow(
      "Invalid delivery config at 'delivery.ladders.a.environments[1].name': environment 'dev' appears twice in the ladder",
    );
  });

  it('refuses an unknown default ladder and a missing one', () => {
    expect(() =>
      read({
        defaultLadder: 'gold',
        ladders: { a: { environments: [{ name: 'dev' }] } },
      }),
    ).toThrow(
      "'delivery.defaultLadder': there is no ladder 'gold'; configured ladders: a",
    );
    expect(() =>
      read({
        ladders: {
          a: { environments: [{ name: 'dev' }] },
          b: { environments: [{ name: 'dev' }] },
        },
      }),
    ).toThrow(
      "'delivery.defaultLadder': required when several ladders are configured (a, b)",
    );
  });

  it('refuses vulnerability limits for an environment no ladder has', () => {
    expect(() =>
      read({
        ladders: { a: { environments: [{ name: 'dev' }] } },
        imagePolicy: { vulnerabilities: { prod: { maxCritical: 0 } } },
      }),
    ).toThrow(
      "'delivery.imagePolicy.vulnerabilities.prod': no ladder has an environment 'prod'",
    );
  });

  it('reads Kubernetes and preview settings, with defaults', () => {
    const config = read({
      kubernetes: { requestTimeout: '2s' },
      previews: {
        cluster: 'dev-cluster',
        maxTtl: '3d',
        maxPerComponent: 2,
        resourceQuota: { pods: 10, 'requests.cpu': '1' },
      },
    });
    expect(config.kubernetes).toEqual({
      requestTimeoutMs: 2000,
      cacheTtlMs: 15_000,
      verificationIntervalMs: 30_000,
      readinessGracePeriodMs: 60_000,
      watch: true,
    });
    expect(config.previews).toEqual({
      cluster: 'dev-cluster',
      namespacePrefix: 'preview',
      defaultTtlMs: 24 * 3600_000,
      maxTtlMs: 3 * 24 * 3600_000,
      maxPerComponent: 2,
      reaperIntervalMs: 60_000,
      resourceQuota: { pods: '10', 'requests.cpu': '1' },
      limitRange: {
        defaultRequest: { cpu: '100m', memory: '128Mi' },
        default: { cpu: '500m', memory: '512Mi' },
      },
      pipelineClusterRole: 'delivery-preview-deployer',
    });
    expect(read(undefined).previews).toBeUndefined();
  });

  it.each([
    [
      { previews: {} },
      "Missing required config value at 'delivery.previews.cluster'",
    ],
    [
      { previews: { cluster: 'c', defaultTtl: '8d' } },
      "'delivery.previews.defaultTtl': is longer than maxTtl",
    ],
    [
      { previews: { cluster: 'c', maxPerComponent: 0 } },
      "'delivery.previews.maxPerComponent': must be a whole number >= 1",
    ],
    [
      { previews: { cluster: 'c', namespacePrefix: 'Pre_view' } },
      "'delivery.previews.namespacePrefix': 'Pre_view' must be a DNS label",
    ],
    [
      { kubernetes: { requestTimeout: 'soon' } },
      "'delivery.kubernetes.requestTimeout'",
    ],
    [
      { kubernetes: { timeout: '1s' } },
      "'delivery.kubernetes.timeout': unknown key",
    ],
  ])('refuses bad Kubernetes settings %j', (delivery, message) => {
    expect(() => read(delivery)).toThrow(message);
  });

  it('refuses config of the wrong type, naming the key', () => {
    expect(() => read(withEnv({ title: 42 }))).toThrow(
      'delivery.ladders.standard.environments[1].title',
    );
  });

  it('refuses previews in a cluster that is not configured', () => {
    expect(() =>
      readDeliveryConfig(
        new ConfigReader({ delivery: { previews: { cluster: 'nowhere' } } }),
      ),
    ).toThrow(
      "delivery.previews.cluster 'nowhere' is not a cluster of kubernetes.clusterLocatorMethods (configured: none)",
    );
    expect([...read(undefined).clusters.keys()]).toEqual(['dev-cluster', 'c']);
  });

  describe('executors', () => {
    const ladder = (executor?: object, extra: object = {}) => ({
      ladders: {
        standard: {
          environments: [
            { name: 'dev', cluster: 'dev-cluster', ...extra },
            { name: 'prod', cluster: 'c', ...(executor ? { executor } : {}) },
          ],
        },
      },
    });

    it('reads each executor with its defaults, and the default executor of environments that name none', () => {
      const config = read({
        defaultExecutor: { type: 'kubernetes', verificationWindow: '2m' },
        ...ladder({
          type: 'gitops',
          repository: 'https://github.com/acme/deploy',
        }),
      });
      const [dev, prod] = config.ladders.get('standard')!.environments;
      expect(dev.executor).toEqual({
        type: 'kubernetes',
        container: undefined,
        rolloutTimeoutMs: 10 * 60_000,
        verificationWindowMs: 2 * 60_000,
        canary: { steps: [25, 50], stepDurationMs: 60_000 },
      });
      expect(prod.executor).toEqual({
        type: 'gitops',
        repository: 'https://github.com/acme/deploy',
        branch: 'main',
        path: 'deploy/overlays/{environment}/kustomization.yaml',
        image: 'app',
        rolloutTimeoutMs: 10 * 60_000,
        verificationWindowMs: 5 * 60_000,
      });
      expect(
        read(ladder({ type: 'github-actions' })).ladders.get('standard')!
          .environments[1].executor,
      ).toEqual({
        type: 'github-actions',
        workflow: 'deploy.yaml',
        ref: 'main',
        host: 'github.com',
        reportTimeoutMs: 15 * 60_000,
      });
      expect(
        read(undefined).ladders.get('default')!.environments[0].executor,
      ).toEqual({
        type: 'external',
      });
      expect(read(undefined).execution).toEqual({
        intervalMs: 5000,
        leaseMs: 120_000,
        maxAttempts: 5,
      });
      expect(read(undefined).idempotency).toEqual({ leaseMs: 120_000 });
      expect(read({ idempotency: { lease: '3s' } }).idempotency).toEqual({
        leaseMs: 3000,
      });
    });

    it('lets a ladder name the executor of its environments that name none', () => {
      const config = read({
        defaultExecutor: { type: 'github-actions' },
        defaultLadder: 'standard',
        ladders: {
          standard: {
            executor: { type: 'kubernetes' },
            environments: [
              { name: 'dev', cluster: 'c' },
              { name: 'prod', cluster: 'c', executor: { type: 'external' } },
            ],
          },
          other: { environments: [{ name: 'qa' }] },
        },
      });
      expect(
        config.ladders.get('standard')!.environments.map(e => e.executor.type),
      ).toEqual(['kubernetes', 'external']);
      expect(config.ladders.get('other')!.environments[0].executor.type).toBe(
        'github-actions',
      );
    });

    it.each([
      [
        ladder({ type: 'argo' }),
        "'delivery.ladders.standard.environments[1].executor.type': 'argo' is not an executor; use one of external, kubernetes, gitops, github-actions",
      ],
      [
        ladder({ type: 'kubernetes', image: 'app' }),
        "'delivery.ladders.standard.environments[1].executor.image': unknown key",
      ],
      [
        ladder({ type: 'gitops', repository: 'git@github.com:acme/x.git' }),
        "'git@github.com:acme/x.git' is not an https:// URL of a Git repository",
      ],
      [
        ladder({ type: 'gitops', path: '../other/kustomization.yaml' }),
        'must be relative to the repository root',
      ],
      [
        ladder(undefined, {
          executor: { type: 'kubernetes' },
          cluster: 'nowhere',
        }),
        "'delivery.ladders.standard.environments[0].executor': the kubernetes executor follows the rollout in the environment's cluster, but 'nowhere' is not a cluster of kubernetes.clusterLocatorMethods (configured: dev-cluster, c)",
      ],
      [
        { execution: { interval: '1m', lease: '2m' } },
        "'delivery.execution.lease': must be at least four intervals",
      ],
      [
        { idempotency: { lease: '0s' } },
        "'delivery.idempotency.lease': must be longer than zero",
      ],
      [
        { idempotency: { ttl: '1h' } },
        "'delivery.idempotency.ttl': unknown key; expected one of lease",
      ],
    ])(
      'refuses executor config that would not work: %j',
      (delivery, message) => {
        expect(() => read(delivery)).toThrow(message);
      },
    );
  });
});
