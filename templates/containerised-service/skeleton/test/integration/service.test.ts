// Integration tests: run against a running instance of the built image
// (BASE_URL), as the pipeline's container-test job does:
//   docker run -d -p 8080:8080 <image>@<digest>
//   BASE_URL=http://localhost:8080 npm run test:integration
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

const base = process.env.BASE_URL ?? 'http://localhost:8080';

describe(`the service at ${base}`, () => {
  it('is alive and ready', async () => {
    assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('serves its API', async () => {
    const res = await fetch(`${base}/api/greeting?name=pipeline`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { message: 'Hello, pipeline!' });
  });

  it('answers unknown routes with 404, not a crash', async () => {
    assert.equal((await fetch(`${base}/does-not-exist`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});
