import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { TestDatabases } from '@backstage/backend-test-utils';
import { CI, createHarness, digest } from './__testUtils__/harness';

jest.setTimeout(60_000);

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  body?: any;
}

/** Plays the GitHub REST API for one repository, and remembers what it was asked. */
async function fakeGitHub() {
  const seen: Seen[] = [];
  const runs: Array<{
    html_url: string;
    status: string;
    display_title: string;
  }> = [];
  let answer = 204;
  const read = (req: IncomingMessage) =>
    new Promise<string>(r => {
      let text = '';
      req.on('data', c => (text += c));
      req.on('end', () => r(text));
    });
  const server: Server = createServer(async (req, res) => {
    const text = await read(req);
    const entry: Seen = {
      method: req.method!,
      path: req.url!,
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    };
    seen.push(entry);
    if (req.url!.endsWith('/dispatches')) {
      if (answer !== 204) {
        res.writeHead(answer, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const { inputs } = entry.body;
      runs.unshift({
        html_url: `https://github.com/acme/checkout/actions/runs/${
          7000 + runs.length
        }`,
        status: 'in_progress',
        display_title: `Deploy ${inputs.digest.slice(0, 19)} to ${
          inputs.environment
        } (promotion ${inputs.promotion})`,
      });
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ total_count: runs.length, workflow_runs: runs }));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    apiBaseUrl: `http://127.0.0.1:${port}/api/v3`,
    seen,
    fail: (status: number) => {
      answer = status;
    },
    close: () => new Promise<void>(r => server.close(() => r())),
  };
}

describe('the github-actions executor', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let github: Awaited<ReturnType<typeof fakeGitHub>>;

  beforeAll(async () => {
    github = await fakeGitHub();
  });
  afterAll(() => github.close());

  async function harness() {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      token: 'unused',
      environments: [
        {
          name: 'dev',
          executor: {
            type: 'github-actions',
            workflow: 'deploy.yaml',
            reportTimeout: '10m',
          },
        },
        { name: 'staging', executor: { type: 'external' } },
      ],
      integrations: {
        github: [
          {
            host: 'github.com',
            token: 'gh-token',
            apiBaseUrl: github.apiBaseUrl,
          },
        ],
      },
    });
    for (const n of [1, 2, 3]) await h.record(n);
    return h;
  }

  it('dispatches the deploy workflow with the promotion, links its run, and hands over to it', async () => {
    const h = await harness();
    const runner = h.execution('replica-a');
    const p = await h.promote(2, 'dev');
    await h.drive(
      [runner],
      async () => (await h.promotion(p.id)).deployment?.phase === 'dispatched',
    );
    expect(github.seen.find(s => s.method === 'POST')).toEqual({
      method: 'POST',
      path: '/api/v3/repos/acme/checkout/actions/workflows/deploy.yaml/dispatches',
      authorization: 'Bearer gh-token',
      body: {
        ref: 'main',
        inputs: { environment: 'dev', digest: digest(2), promotion: p.id },
      },
    });
    // The promotion waits for the workflow; the run is linked once GitHub lists it.
    await h.drive([runner], async () =>
      Boolean((await h.promotion(p.id)).deployment?.progress?.links?.length),
    );
    const waiting = await h.promotion(p.id);
    expect(waiting.promotion.state).toBe('approved');
    expect(waiting.deployment!.progress).toMatchObject({
      waitingFor: 'deploy.yaml to report deploying',
      links: [
        {
          title: 'workflow run (in_progress)',
          url: 'https://github.com/acme/checkout/actions/runs/7000',
        },
      ],
    });

    // The workflow reports on that very promotion, as the CLI does.
    for (const type of ['deploying', 'verifying', 'succeeded'] as const) {
      await h.services.rollouts.reportRolloutEvent(p.id, { type }, CI);
    }
    await h.drive(
      [runner],
      async () => (await h.promotion(p.id)).deployment?.phase === 'finished',
    );
    const view = await h.promotion(p.id);
    expect(view.promotion.state).toBe('succeeded');
    expect(view.steps!.map(s => s.action)).toEqual([
      'dispatched',
      'handed-over',
    ]);
  });

  it('errors a promotion whose workflow never reports, or that GitHub refuses to dispatch', async () => {
    const h = await harness();
    const runner = h.execution('replica-a');
    const silent = await h.promote(2, 'dev');
    await h.drive(
      [runner],
      async () =>
        (await h.promotion(silent.id)).deployment?.phase === 'dispatched',
    );
    h.clock.now += 11 * 60_000;
    await h.drive(
      [runner],
      async () => (await h.promotion(silent.id)).promotion.state === 'errored',
    );
    expect((await h.promotion(silent.id)).promotion.outcome).toBe(
      'errored: the deploy workflow did not report within 10 min of being dispatched',
    );

    github.fail(404);
    try {
      const refused = await h.promote(3, 'dev');
      await h.drive(
        [runner],
        async () =>
          (await h.promotion(refused.id)).promotion.state === 'errored',
        {
          stepMs: 120_000,
        },
      );
      expect((await h.promotion(refused.id)).promotion.outcome).toBe(
        'errored after 3 attempts: POST /actions/workflows/deploy.yaml/dispatches on acme/checkout answered 404: Not Found',
      );
    } finally {
      github.fail(204);
    }
  });

  it.each([
    ['github-actions', 'dev'],
    ['external', 'staging'],
  ])(
    'never releases a build quarantined while its pipeline deploys it (%s)',
    async (_executor, environment) => {
      const h = await harness();
      if (environment === 'staging') await h.released(2, 'dev');
      const p = await h.promote(2, environment);
      await h.services.rollouts.reportRolloutEvent(
        p.id,
        { type: 'deploying' },
        CI,
      );
      await h.services.artifacts.quarantine(p.artifactId, 'CVE-2026-4242', CI);
      const reported = await h.services.rollouts.reportRolloutEvent(
        p.id,
        { type: 'succeeded' },
        CI,
      );
      expect(reported.promotion.state).toBe('failed');
      expect(reported.promotion.outcome).toMatch(
        new RegExp(
          `^Cannot release .* in ${environment} now: \\[quarantine\\] .*CVE-2026-4242`,
        ),
      );
      const releases = await h.services.ledger.releases.getReleases(
        'component:default/checkout',
      );
      expect(releases.find(r => r.environment === environment)).toBeUndefined();
    },
  );

  it('refuses rollout events from pipelines for environments an executor deploys itself', async () => {
    const h = await createHarness({
      knex: await databases.init('SQLITE_3'),
      token: 'unused',
      environments: [
        {
          name: 'dev',
          cluster: 'test',
          namespace: 'x',
          executor: { type: 'kubernetes' },
        },
      ],
    });
    await h.record(2);
    const p = await h.promote(2, 'dev');
    await expect(
      h.services.rollouts.reportRolloutEvent(p.id, { type: 'deploying' }, CI),
    ).rejects.toThrow(
      "dev is deployed by the portal's kubernetes executor, which reports its own progress; pipelines do not report events for it",
    );
  });
});
