/*
 * The CLI served by the backend: downloaded over HTTP from a running test
 * backend, checked against its sha256 as a pipeline does, and run with Node
 * (no install) against the same backend to record a build.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import deliveryPlugin from '..';

jest.setTimeout(120_000);

const run = promisify(execFile);

describe('the CLI served by the backend', () => {
  it('serves one file with its sha256, which runs with Node against the portal it came from', async () => {
    const { server } = await startTestBackend({
      features: [
        deliveryPlugin,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'search' },
              spec: { type: 'service', owner: 'team', lifecycle: 'production' },
            },
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            delivery: {
              ladders: { standard: { environments: [{ name: 'dev' }] } },
            },
          },
        }),
      ],
    });
    const ci = mockCredentials.service.header();

    const cli = await request(server)
      .get('/api/delivery/cli')
      .set('authorization', ci)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', chunk => (text += chunk));
        res.on('end', () => done(null, text));
      });
    expect(cli.status).toBe(200);
    expect(cli.headers['content-type']).toMatch(/^application\/javascript/);
    const body = cli.body as string;
    expect(body.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(cli.headers['x-checksum-sha256']).toBe(sha256);
    const line = await request(server)
      .get('/api/delivery/cli/sha256')
      .set('authorization', ci);
    expect(line.text).toBe(`${sha256}  delivery.cjs\n`);

    // As a pipeline: save it, check it with sha256sum, run it with Node.
    const dir = mkdtempSync(join(tmpdir(), 'delivery-cli-'));
    writeFileSync(join(dir, 'delivery.cjs'), body);
    writeFileSync(join(dir, 'delivery.cjs.sha256'), line.text);
    await run('sha256sum', ['-c', 'delivery.cjs.sha256'], { cwd: dir });
    const { port } = server.address() as { port: number };
    const env = {
      ...process.env,
      DELIVERY_URL: `http://127.0.0.1:${port}`,
      DELIVERY_TOKEN: mockCredentials.service.token(),
    };
    const help = await run(
      process.execPath,
      [join(dir, 'delivery.cjs'), '--help'],
      { env },
    );
    expect(help.stdout).toContain('DELIVERY_URL');
    const digest = `sha256:${'c'.repeat(64)}`;
    const recorded = await run(
      process.execPath,
      [
        join(dir, 'delivery.cjs'),
        'artifact',
        'record',
        '--component',
        'search',
        '--image',
        'ghcr.io/acme/search',
        '--digest',
        digest,
        '--commit',
        'c'.repeat(40),
      ],
      { env },
    );
    expect(recorded.stdout).toContain(digest.slice(0, 19));
    const listed = await request(server)
      .get('/api/delivery/artifacts?component=component:default/search')
      .set('authorization', ci);
    expect(listed.body.items.map((a: any) => a.digest)).toEqual([digest]);
  });
});
