import { detectDrift, LiveState, PodState, repositoryOf } from './liveState';

const REPOSITORY = 'ghcr.io/acme/checkout';
const RELEASE = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;
const PROXY = `sha256:${'9'.repeat(64)}`;

const pod = (app: string, startedAt: number): PodState => ({
  name: `checkout-${startedAt}`,
  phase: 'Running',
  ready: true,
  restarts: 0,
  digests: [app, PROXY],
  startedAt,
  containers: [
    { name: 'app', repository: REPOSITORY, digest: app },
    {
      name: 'istio-proxy',
      repository: 'docker.io/istio/proxyv2',
      digest: PROXY,
    },
  ],
});

const live = (pods: PodState[]): LiveState => ({
  state: 'known',
  cluster: 'test',
  namespace: 'checkout-dev',
  observedAt: 0,
  runningDigests: [...new Set(pods.flatMap(p => p.digests))].sort(),
  deployments: [
    {
      name: 'checkout',
      replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
      images: [],
      conditions: [],
      pods,
    },
  ],
});

describe('detectDrift', () => {
  it('ignores sidecars the component does not own', () => {
    expect(
      detectDrift(
        live([pod(RELEASE, 1), pod(RELEASE, 2)]),
        RELEASE,
        undefined,
        REPOSITORY,
      ),
    ).toBeUndefined();
    // Without the repository every container counts: the proxy looks like drift.
    expect(
      detectDrift(live([pod(RELEASE, 1)]), RELEASE, undefined),
    ).toMatchObject({ running: [RELEASE, PROXY].sort() });
  });

  it('flags the component’s own containers running another digest, since the earliest', () => {
    expect(
      detectDrift(
        live([pod(RELEASE, 5), pod(OTHER, 3)]),
        RELEASE,
        undefined,
        REPOSITORY,
      ),
    ).toEqual({
      expected: RELEASE,
      running: [RELEASE, OTHER].sort(),
      since: 3,
    });
    // The artifact being rolled out is expected too.
    expect(
      detectDrift(live([pod(OTHER, 3)]), RELEASE, OTHER, REPOSITORY),
    ).toBeUndefined();
  });
});

describe('repositoryOf', () => {
  it.each([
    ['ghcr.io/acme/checkout@sha256:abc', 'ghcr.io/acme/checkout'],
    ['ghcr.io/acme/checkout:1.2.3', 'ghcr.io/acme/checkout'],
    ['localhost:5000/checkout:1.0', 'localhost:5000/checkout'],
    ['localhost:5000/checkout', 'localhost:5000/checkout'],
  ])('%s', (image, repository) => {
    expect(repositoryOf(image)).toBe(repository);
  });
});
