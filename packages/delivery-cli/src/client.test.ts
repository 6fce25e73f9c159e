import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { apiRoot, DeliveryApiClient } from './client';
import { ExitCode } from './exitCodes';

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer: the client times out. */
  hang?: boolean;
}

describe('DeliveryApiClient', () => {
  let server: Server;
  let url: string;
  let replies: Reply[];
  let requests: {
    method?: string;
    url?: string;
    auth?: string;
    idempotencyKey?: string;
    body: string;
  }[];
  let waits: number[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', chunk => (body += chunk));
      req.on('end', () => {
        requests.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          body,
        });
        const reply = replies.shift() ?? { status: 500 };
        if (reply.hang) return;
        res.writeHead(reply.status, {
          'content-type': 'application/json',
          ...reply.headers,
        });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise(r => server.close(r));
  });
  beforeEach(() => {
    replies = [];
    requests = [];
    waits = [];
  });

  const client = (options: { retries?: number; baseUrl?: string } = {}) =>
    new DeliveryApiClient({
      baseUrl: options.baseUrl ?? url,
      token: 'secret',
      retries: options.retries ?? 3,
      requestTimeoutMs: 300,
      sleep: async ms => {
        waits.push(ms);
      },
      random: () => 1,
    });

  it('finds the delivery API under a portal URL', () => {
    expect(apiRoot('https://backstage.example.com/')).toBe(
      'https://backstage.example.com/api/delivery',
    );
    expect(apiRoot('https://backstage.example.com/api/delivery')).toBe(
      'https://backstage.example.com/api/delivery',
    );
  });

  it('sends the token and the query, and returns the answer', async () => {
    replies = [{ status: 200, body: { items: [] } }];
    const { data } = await client().get('/artifacts', {
      component: 'component:default/orders',
      digest: undefined,
    });
    expect(data).toEqual({ items: [] });
    expect(requests).toEqual([
      {
        method: 'GET',
        url: '/api/delivery/artifacts?component=component%3Adefault%2Forders',
        auth: 'Bearer secret',
        body: '',
      },
    ]);
  });

  it('retries a safe request after 502/503/504 and timeouts, with growing backoff', async () => {
    replies = [
      { status: 503 },
      { status: 0, hang: true },
      { status: 502 },
      { status: 200, body: { ok: true } },
    ];
    const { data } = await client().get('/health');
    expect(data).toEqual({ ok: true });
    expect(requests).toHaveLength(4);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it("waits as long as the portal's Retry-After says", async () => {
    replies = [
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 200, body: {} },
    ];
    await client().get('/health');
    expect(waits).toEqual([3000]);
  });

  it('gives up after the retries, as unreachable', async () => {
    replies = [{ status: 503 }, { status: 503 }, { status: 503 }];
    await expect(client({ retries: 2 }).get('/health')).rejects.toMatchObject({
      exitCode: ExitCode.UNREACHABLE,
      status: 503,
    });
    expect(requests).toHaveLength(3);
  });

  it('retries a mutating request with the same Idempotency-Key, so the portal runs it once', async () => {
    replies = [
      { status: 503 },
      { status: 0, hang: true },
      {
        status: 409,
        body: {
          error: {
            name: 'ConflictError',
            message:
              'A request with this Idempotency-Key is still running; retry shortly',
          },
        },
      },
      { status: 201, body: { id: 'e1' } },
    ];
    const { data } = await client().request('POST', '/promotions/p1/events', {
      body: { event: 'succeeded' },
    });
    expect(data).toEqual({ id: 'e1' });
    expect(requests).toHaveLength(4);
    const keys = new Set(requests.map(r => r.idempotencyKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);

    // The next command is a new logical call: a new key. GETs carry none.
    requests = [];
    replies = [
      { status: 201, body: {} },
      { status: 200, body: {} },
    ];
    await client().request('POST', '/promotions/p1/events', { body: {} });
    await client().get('/health');
    expect(requests[0].idempotencyKey).not.toBe([...keys][0]);
    expect(requests[1].idempotencyKey).toBeUndefined();
  });

  it('retries any request that could not be sent at all', async () => {
    const closed = createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise(r => closed.close(r));

    await expect(
      client({ baseUrl: `http://127.0.0.1:${port}` }).request(
        'POST',
        '/rollbacks',
        {
          body: {},
        },
      ),
    ).rejects.toMatchObject({
      exitCode: ExitCode.UNREACHABLE,
      message: expect.stringContaining('(ECONNREFUSED) after 4 attempts'),
    });
    expect(waits).toHaveLength(3);
  });

  it('maps answers to exit codes a pipeline can branch on', async () => {
    const cases: [Reply, number][] = [
      [
        {
          status: 409,
          body: {
            error: { name: 'PromotionRefusedError', message: 'Refused: soak' },
          },
        },
        ExitCode.REFUSED,
      ],
      [
        {
          status: 409,
          body: { error: { name: 'ConflictError', message: 'tag moved' } },
        },
        ExitCode.FAILED,
      ],
      [
        { status: 429, body: { error: { message: 'too many previews' } } },
        ExitCode.REFUSED,
      ],
      [{ status: 401 }, ExitCode.NOT_ALLOWED],
      [{ status: 403 }, ExitCode.NOT_ALLOWED],
      [
        { status: 422, body: { error: { message: 'no such component' } } },
        ExitCode.BAD_INPUT,
      ],
      [{ status: 500 }, ExitCode.UNREACHABLE],
    ];
    for (const [reply, exitCode] of cases) {
      replies = [reply];
      await expect(
        client().request('POST', '/promotions', {
          body: {},
        }),
      ).rejects.toMatchObject({ exitCode, status: reply.status });
    }
    replies = [
      {
        status: 409,
        body: {
          error: { name: 'PromotionRefusedError', message: 'Refused: soak' },
        },
      },
    ];
    await expect(
      client().request('POST', '/promotions', { body: {} }),
    ).rejects.toThrow('Refused: soak (HTTP 409)');
  });
});
