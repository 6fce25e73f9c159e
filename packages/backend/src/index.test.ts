/*
 * Starts the real backend (src/index.ts, as `yarn start` does) against the
 * repository's app-config.yaml, and checks that it becomes ready with every
 * plugin it adds initialised. This is what breaks when @backstage/* packages
 * drift apart (e.g. `httpRouter.addWebSocketHandler is not a function`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(240_000);

const backendDir = resolve(__dirname, '..');
const repoRoot = resolve(backendDir, '../..');

/** The plugin ids of the plugins that src/index.ts adds. */
function expectedPluginIds(): string[] {
  const source = readFileSync(join(backendDir, 'src/index.ts'), 'utf8');
  const packages = [
    ...source.matchAll(/backend\.add\(\s*import\('([^']+)'\)/g),
  ].map(m => m[1]);
  const ids = new Set<string>();
  for (const name of packages) {
    const pkg = JSON.parse(
      readFileSync(require.resolve(`${name}/package.json`), 'utf8'),
    );
    if (pkg.backstage?.role === 'backend-plugin') {
      ids.add(pkg.backstage.pluginId);
    }
  }
  return [...ids].sort();
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
    server.on('error', rej);
  });
}

describe('backend', () => {
  let child: ChildProcess | undefined;
  let output = '';
  let tmp: string;

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      process.kill(-child.pid, 'SIGTERM');
      await new Promise(r => child!.once('exit', r));
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('starts with every plugin initialised and serves them', async () => {
    const port = await freePort();
    const token = randomBytes(24).toString('hex');
    tmp = mkdtempSync(join(tmpdir(), 'backend-start-'));
    const override = join(tmp, 'app-config.test.yaml');
    writeFileSync(
      override,
      JSON.stringify({
        backend: {
          baseUrl: `http://localhost:${port}`,
          listen: { port, host: '127.0.0.1' },
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token, subject: 'backend-start-test' },
              },
            ],
          },
        },
      }),
    );

    child = spawn(
      'yarn',
      [
        'backstage-cli',
        'package',
        'start',
        '--config',
        join(repoRoot, 'app-config.yaml'),
        '--config',
        override,
      ],
      {
        cwd: backendDir,
        detached: true,
        env: { ...process.env, NODE_ENV: 'development', FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', d => (output += d));
    child.stderr!.on('data', d => (output += d));

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 200_000;
    let ready = false;
    while (!ready) {
      if (child.exitCode !== null) {
        throw new Error(`backend exited with ${child.exitCode}:\n${output}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`backend did not become ready:\n${output}`);
      }
      try {
        const res = await fetch(`${base}/.backstage/health/v1/readiness`);
        ready = res.status === 200;
      } catch {
        // not listening yet
      }
      if (!ready) await new Promise(r => setTimeout(r, 1000));
    }

    // Every plugin from src/index.ts took part in startup and finished it.
    const started = output.match(/Plugin initialization started: ([^\n]*)/);
    expect(started).not.toBeNull();
    const startedIds = [...started![1].matchAll(/'([^']+)'/g)]
      .map(m => m[1])
      .sort();
    expect(startedIds).toEqual(expectedPluginIds());
    expect(output).toMatch(/Plugin initialization complete/);
    expect(output).not.toMatch(/threw an error during startup/);

    const auth = { authorization: `Bearer ${token}` };
    const health = await fetch(`${base}/api/delivery/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      database: { client: 'better-sqlite3' },
    });

    const actions = await fetch(`${base}/api/scaffolder/v2/actions`, {
      headers: auth,
    });
    expect(actions.status).toBe(200);
    expect((await actions.json()).map((a: { id: string }) => a.id)).toContain(
      'delivery:component:annotate',
    );

    // The demo catalog is ingested shortly after startup.
    let names: string[] = [];
    while (!names.includes('payments-api') && Date.now() < deadline) {
      const res = await fetch(
        `${base}/api/catalog/entities/by-query?filter=kind=component&fields=metadata.name`,
        { headers: auth },
      );
      expect(res.status).toBe(200);
      names = (await res.json()).items.map(
        (e: { metadata: { name: string } }) => e.metadata.name,
      );
      if (!names.includes('payments-api')) {
        await new Promise(r => setTimeout(r, 1000));
      }
    }
    expect(names).toEqual(
      expect.arrayContaining(['payments-api', 'checkout-web', 'status-page']),
    );
  });
});
