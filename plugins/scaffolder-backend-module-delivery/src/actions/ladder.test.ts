import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Schema, Validator } from 'jsonschema';
import { createResolveLadderAction } from './ladder';

const environment = (
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  name,
  title: name.toUpperCase(),
  strategy: 'rolling',
  requiredEvidence: ['unit-test'],
  soakTimeSeconds: 0,
  approvals: { count: 0, groups: [] },
  rollbackThresholds: {},
  rollbackRequiresApprovals: false,
  ...extra,
});

const LADDERS = {
  defaultLadder: 'standard',
  items: [
    {
      name: 'standard',
      title: 'Standard',
      environments: [
        environment('dev', {
          cluster: 'local',
          namespace: '{component}-{environment}',
        }),
        environment('production', {
          cluster: 'local',
          namespace: '{namespace}-{component}',
          requiredEvidence: ['unit-test', 'image-scan'],
          approvals: { count: 2, groups: ['group:default/platform'] },
        }),
      ],
    },
    {
      name: 'no-clusters',
      title: 'Without clusters',
      environments: [environment('test', { namespace: 'shared-test' })],
    },
  ],
};

describe('delivery:ladder:resolve', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown };
  let seen: IncomingHttpHeaders | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen = req.headers;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/delivery`;
  });
  afterAll(() => new Promise(resolve => server.close(resolve)));
  beforeEach(() => {
    answer = { status: 200, body: LADDERS };
    seen = undefined;
  });

  const action = (baseUrl = () => url) =>
    createResolveLadderAction({
      discovery: mockServices.discovery.mock({
        getBaseUrl: async () => baseUrl(),
      }),
      auth: mockServices.auth(),
    });

  it("resolves the portal's default ladder with the component's namespaces", async () => {
    const ctx = createMockActionContext({
      input: { component: 'orders' },
    });

    await action().handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith('ladder', 'standard');
    expect(ctx.output).toHaveBeenCalledWith('ladderTitle', 'Standard');
    expect(ctx.output).toHaveBeenCalledWith('environments', [
      {
        name: 'dev',
        title: 'DEV',
        cluster: 'local',
        namespace: 'orders-dev',
        requiredEvidence: ['unit-test'],
        approvals: 0,
      },
      {
        name: 'production',
        title: 'PRODUCTION',
        cluster: 'local',
        namespace: 'default-orders',
        requiredEvidence: ['unit-test', 'image-scan'],
        approvals: 2,
      },
    ]);
    expect(ctx.output).toHaveBeenCalledWith('kubernetes', true);
    // With the scaffolder's own service credentials, for the delivery plugin.
    expect(seen?.authorization).toMatch(/^Bearer \S+/);
  });

  it('resolves a named ladder for a component in another catalog namespace', async () => {
    const ctx = createMockActionContext({
      input: { component: 'component:payments/ledger', ladder: 'no-clusters' },
    });

    await action().handler(ctx);

    expect(ctx.output).toHaveBeenCalledWith('ladder', 'no-clusters');
    expect(ctx.output).toHaveBeenCalledWith('environments', [
      expect.objectContaining({ name: 'test', namespace: 'shared-test' }),
    ]);
    expect(ctx.output).toHaveBeenCalledWith('kubernetes', false);
  });

  it('treats an empty ladder from the form as the default', async () => {
    const ctx = createMockActionContext({
      input: { component: 'orders', ladder: '' },
    });
    await action().handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('ladder', 'standard');
  });

  it('refuses a ladder the portal does not have, naming the ones it has', async () => {
    const ctx = createMockActionContext({
      input: { component: 'orders', ladder: 'regulated' },
    });

    await expect(action().handler(ctx)).rejects.toThrow(
      'The portal has no ladder "regulated"; choose one of "standard", "no-clusters"',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('refuses a component whose namespace would not be a valid name', async () => {
    const ctx = createMockActionContext({
      input: { component: 'orders_service' },
    });

    await expect(action().handler(ctx)).rejects.toThrow(
      'The namespace of component:default/orders_service in dev would be "orders_service-dev", which is not a valid Kubernetes namespace name',
    );
  });

  it('says when the delivery backend fails or cannot be reached', async () => {
    answer = {
      status: 503,
      body: { error: { name: 'ServiceUnavailableError' } },
    };
    await expect(
      action().handler(
        createMockActionContext({ input: { component: 'orders' } }),
      ),
    ).rejects.toThrow(
      /The delivery backend answered 503 .* to GET http:\/\/127\.0\.0\.1:\d+\/api\/delivery\/ladders/,
    );

    await expect(
      action(() => 'http://127.0.0.1:9/api/delivery').handler(
        createMockActionContext({ input: { component: 'orders' } }),
      ),
    ).rejects.toThrow(
      'Could not reach the delivery backend at http://127.0.0.1:9/api/delivery to read the ladders',
    );
  });

  it('validates the ladder name before running', () => {
    const validate = (input: object) =>
      new Validator()
        .validate(input, action().schema!.input as Schema)
        .errors.map(e => e.property);
    expect(validate({ component: 'orders', ladder: 'Not A Ladder' })).toEqual([
      'instance.ladder',
    ]);
    expect(validate({ component: 'orders', ladder: '' })).toEqual([]);
    expect(validate({ component: 'orders' })).toEqual([]);
    expect(validate({ ladder: 'standard' })).toEqual(['instance']);
  });
});
