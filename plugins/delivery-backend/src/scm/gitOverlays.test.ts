import { GitOverlays } from './gitOverlays';
import { GitServer, startGitServer } from './__testUtils__/gitServer';

jest.setTimeout(60_000);

const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;
const KUSTOMIZATION = `# The dev overlay of checkout.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: checkout-dev
resources:
  - ../../base
images:
  - name: app # set by the delivery portal
    newName: ghcr.io/acme/checkout
    newTag: 1.0.0
`;

describe('GitOverlays', () => {
  let git: GitServer;
  let repo: string;
  const access = (token: string | undefined) => ({
    token: async () => token,
    apiBaseUrl: () => undefined,
  });
  const change = {
    branch: 'main',
    path: 'deploy/overlays/dev/kustomization.yaml',
    image: 'app',
    digest: NEW,
    message: 'Deploy checkout 1.0.2 to dev\n\nPromotion: p-1',
    author: { name: 'Backstage Delivery', email: 'delivery@backstage.invalid' },
  };

  beforeAll(async () => {
    git = await startGitServer('secret-token');
    repo = git.createRepository('acme/checkout', {
      'deploy/overlays/dev/kustomization.yaml': KUSTOMIZATION,
    });
  });
  afterAll(() => git.close());

  it('sets the digest over HTTP with the integration token, keeping comments, and says what it replaced', async () => {
    const overlays = new GitOverlays({
      access: access('secret-token'),
      timeoutMs: 20_000,
    });
    const result = await overlays.setImageDigest({
      ...change,
      repository: repo,
    });
    expect(result).toMatchObject({ changed: true, previousDigest: undefined });
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(git.show('acme/checkout', 'main', change.path)).toBe(
      KUSTOMIZATION.replace('    newTag: 1.0.0\n', `    digest: ${NEW}\n`),
    );
    expect(git.log('acme/checkout')[0]).toBe(change.message);
    expect(git.git('acme/checkout', 'log', '-1', '--format=%an <%ae>')).toBe(
      'Backstage Delivery <delivery@backstage.invalid>',
    );
    expect(git.requests).toContain(
      'POST /acme/checkout.git/git-receive-pack 200',
    );

    // The same digest again changes nothing.
    const again = await overlays.setImageDigest({
      ...change,
      repository: repo,
    });
    expect(again).toEqual({
      commit: result.commit,
      changed: false,
      previousDigest: NEW,
    });
  });

  it('redoes its change when the branch moved meanwhile', async () => {
    const overlays = new GitOverlays({
      access: access('secret-token'),
      timeoutMs: 20_000,
    });
    // Another commit lands on main between the clone and the push.
    git.beforeNextPush(() => {
      const other = git.git(
        'acme/checkout',
        'commit-tree',
        '-m',
        'someone else',
        '-p',
        'main',
        'main^{tree}',
      );
      git.git('acme/checkout', 'update-ref', 'refs/heads/main', other);
    });
    const result = await overlays.setImageDigest({
      ...change,
      repository: repo,
      digest: OLD,
    });
    expect(result).toMatchObject({ changed: true, previousDigest: NEW });
    expect(git.log('acme/checkout').slice(0, 2)).toEqual([
      change.message,
      'someone else',
    ]);
    expect(git.show('acme/checkout', 'main', change.path)).toContain(
      `digest: ${OLD}`,
    );
    expect(
      git.requests.filter(r =>
        r.startsWith('POST /acme/checkout.git/git-receive-pack'),
      ),
    ).toHaveLength(3);
  });

  it('says what is wrong, naming the repository: no token, no file, no image entry', async () => {
    await expect(
      new GitOverlays({
        access: access(undefined),
        timeoutMs: 20_000,
      }).setImageDigest({
        ...change,
        repository: repo,
      }),
    ).rejects.toThrow(
      /^git clone of http:\/\/127\.0\.0\.1:\d+\/acme\/checkout\.git failed: .*(Authentication failed|could not read Username|401)/,
    );
    const overlays = new GitOverlays({
      access: access('secret-token'),
      timeoutMs: 20_000,
    });
    await expect(
      overlays.setImageDigest({
        ...change,
        repository: repo,
        path: 'deploy/overlays/qa/kustomization.yaml',
      }),
    ).rejects.toThrow(
      `deploy/overlays/qa/kustomization.yaml does not exist on main of ${repo}`,
    );
    await expect(
      overlays.setImageDigest({ ...change, repository: repo, image: 'web' }),
    ).rejects.toThrow("has no images entry named 'web'");
  });
});
