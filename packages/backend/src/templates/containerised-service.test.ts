/* eslint-disable jest/no-standalone-expect -- serviceChecks runs inside the shared template test's `it` */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeServiceTemplate } from './__testUtils__/serviceTemplate';
import { waitFor } from './__testUtils__/testing';

jest.setTimeout(240_000);

describe('the containerised-service template (Node.js / TypeScript)', () => {
  describeServiceTemplate('containerised-service', {
    tags: ['nodejs', 'typescript'],
    serviceChecks: async ({ dir }) => {
      const run = (args: string[], env: Record<string, string> = {}) =>
        execFileSync('npm', args, {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      run(['ci', '--prefer-offline', '--no-audit', '--no-fund']);
      run(['run', 'typecheck']);
      run(['test']);
      run(['run', 'build']);
      expect(readFileSync(join(dir, 'reports/unit.xml'), 'utf8')).toMatch(
        /<testcase name="greets by name/,
      );
      // As the container-test job runs the image: the built service, then
      // the integration tests against it over HTTP.
      const port = 20000 + Math.floor(Math.random() * 20000);
      const service = spawn(process.execPath, ['dist/server.js'], {
        cwd: dir,
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      });
      try {
        await waitFor(`http://127.0.0.1:${port}/readyz`);
        run(['run', 'test:integration'], {
          BASE_URL: `http://127.0.0.1:${port}`,
        });
      } finally {
        service.kill('SIGTERM');
      }
      expect(
        readFileSync(join(dir, 'reports/integration.xml'), 'utf8'),
      ).not.toContain('<failure');
      // The contract test checks every operation of openapi.json.
      run(['run', 'test:contract']);
      const contract = readFileSync(join(dir, 'reports/contract.xml'), 'utf8');
      expect(contract).not.toContain('<failure');
      expect(contract).toContain('GET /api/greeting answers 200 as documented');
    },
  });
});
