import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import deliveryPlugin from '.';

describe('delivery backend plugin', () => {
  it('serves its health, with a database round trip, without a token', async () => {
    const { server } = await startTestBackend({ features: [deliveryPlugin] });

    const res = await request(server)
      .get('/api/delivery/health')
      .set('authorization', mockCredentials.none.header());

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      database: { client: 'better-sqlite3', latencyMs: expect.any(Number) },
    });
  });

  it('refuses query parameters the contract does not define', async () => {
    const { server } = await startTestBackend({ features: [deliveryPlugin] });

    const res = await request(server).get('/api/delivery/health?verbose=1');

    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      name: 'InputError',
      message: expect.stringContaining('verbose'),
    });
  });

  it('publishes its OpenAPI contract', async () => {
    const { server } = await startTestBackend({ features: [deliveryPlugin] });

    const res = await request(server).get('/api/delivery/openapi.json');

    expect(res.status).toBe(200);
    expect(res.body.info.title).toBe('delivery');
    expect(Object.keys(res.body.paths)).toContain('/api/delivery/health');
  });

  it('starts with a demo file configured, and loads it after startup', async () => {
    const file = join(
      mkdtempSync(join(tmpdir(), 'delivery-demo-')),
      'demo.yaml',
    );
    writeFileSync(file, 'actors: {}\nsteps: []\n');
    const logger = mockServices.logger.mock();
    const { server } = await startTestBackend({
      features: [
        deliveryPlugin,
        mockServices.rootConfig.factory({
          data: { delivery: { demo: { file } } },
        }),
        logger.factory,
      ],
    });

    expect(
      (
        await request(server)
          .get('/api/delivery/health')
          .set('authorization', mockCredentials.none.header())
      ).status,
    ).toBe(200);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringMatching(/^Delivery demo loaded from .*demo\.yaml: 0 steps/),
    );
  });
});
