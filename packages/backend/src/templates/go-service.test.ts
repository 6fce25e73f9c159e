/* eslint-disable jest/no-standalone-expect -- serviceChecks runs inside the shared template test's `it` */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeServiceTemplate } from './__testUtils__/serviceTemplate';
import { waitFor } from './__testUtils__/testing';

jest.setTimeout(240_000);

/**
 * Go from DELIVERY_TEST_GO (make test installs Debian's golang-go with
 * scripts/ensure-go.sh) or the PATH; CI always has it.
 */
const go = (() => {
  const candidate = process.env.DELIVERY_TEST_GO || 'go';
  try {
    execFileSync(candidate, ['version'], { stdio: 'ignore' });
    return candidate;
  } catch {
    if (process.env.CI) {
      throw new Error(
        'No Go toolchain (DELIVERY_TEST_GO or go on PATH): run scripts/ensure-go.sh',
      );
    }
    // eslint-disable-next-line no-console
    console.warn(
      'No go on PATH: the Go service is not built (scripts/ensure-go.sh)',
    );
    return undefined;
  }
})();

describe('the go-service template', () => {
  describeServiceTemplate('go-service', {
    tags: ['go'],
    serviceChecks: async ({ dir, files }) => {
      expect(files.get('go.mod')).toMatch(
        /^module github\.com\/acme\/orders-api\n\ngo 1\.19\n/,
      );
      if (!go) return;
      const env = {
        ...process.env,
        GOFLAGS: '-mod=mod',
        GOCACHE: join(dir, '.cache/go-build'),
        GOPATH: join(dir, '.cache/go'),
        GOPROXY: 'off',
        PATH: `${dirname(go)}:${process.env.PATH}`,
      };
      // The pipeline's own commands (the Makefile): vet, unit tests with
      // coverage and a JUnit report, the static build.
      const make = (target: string, extra: Record<string, string> = {}) =>
        execFileSync(
          'make',
          [target, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)],
          {
            cwd: dir,
            encoding: 'utf8',
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
      // gofmt has nothing to change.
      expect(
        execFileSync(go, ['fmt', './...'], { cwd: dir, env, encoding: 'utf8' }),
      ).toBe('');
      make('vet');
      expect(make('test')).toMatch(/total:\s+\(statements\)\s+\d+\.\d%/);
      const unit = readFileSync(join(dir, 'reports/unit.xml'), 'utf8');
      expect(unit).toContain('name="TestGreetsByName"');
      expect(unit).not.toContain('<failure');
      expect(readFileSync(join(dir, 'reports/coverage.out'), 'utf8')).toMatch(
        /^mode: atomic\n/,
      );
      make('build');

      // As the container-test and contract-test jobs do: the built binary
      // running, its integration and contract tests over HTTP.
      const port = 20000 + Math.floor(Math.random() * 20000);
      const service = spawn(join(dir, 'bin/service'), [], {
        cwd: dir,
        env: { ...env, PORT: String(port) },
        stdio: 'ignore',
      });
      try {
        await waitFor(`http://127.0.0.1:${port}/readyz`);
        make('test-integration', { BASE_URL: `http://127.0.0.1:${port}` });
        execFileSync('make', ['test-contract'], {
          cwd: dir,
          env: { ...env, BASE_URL: `http://127.0.0.1:${port}` },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } finally {
        service.kill('SIGTERM');
      }
      expect(
        readFileSync(join(dir, 'reports/integration.xml'), 'utf8'),
      ).toContain('name="TestIntegrationServesItsAPI"');
      const contract = readFileSync(join(dir, 'reports/contract.xml'), 'utf8');
      expect(contract).not.toContain('<failure');
      expect(contract).toContain(
        'TestContract/GET_/api/greeting_answers_200_as_documented',
      );
    },
  });
});
