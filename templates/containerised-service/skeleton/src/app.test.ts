import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApp } from './app.ts';

describe('the service', () => {
  const server = createApp();
  let base: string;

  before(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('answers its health and readiness probes', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('greets by name, and the world by default', async () => {
    const named = await fetch(`${base}/api/greeting?name=Ada`);
    assert.deepEqual(await named.json(), { message: 'Hello, Ada!' });
    const anonymous = await fetch(`${base}/api/greeting`);
    assert.deepEqual(await anonymous.json(), { message: 'Hello, world!' });
  });

  it('refuses what it does not serve', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/api/greeting`, { method: 'POST' })).status, 405);
    const long = await fetch(`${base}/api/greeting?name=${'x'.repeat(101)}`);
    assert.equal(long.status, 400);
  });
});
