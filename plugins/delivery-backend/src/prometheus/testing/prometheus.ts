/*
 * A real Prometheus for the tests: Debian's binary (scripts/prometheus.sh
 * install; make test exports DELIVERY_TEST_PROMETHEUS), started per test
 * file on a free port with its data in a temporary folder, scraping the
 * given targets every second, and stopped by the test that started it.
 * Without the binary the Prometheus tests are skipped, and say so.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function findBinary(): string | undefined {
  if (process.env.DELIVERY_TEST_PROMETHEUS) {
    return process.env.DELIVERY_TEST_PROMETHEUS;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}

export const prometheusBinary = findBinary();

if (!prometheusBinary) {
  // eslint-disable-next-line no-console
  console.warn(
    'SKIPPED Prometheus tests: no prometheus binary; run scripts/prometheus.sh install',
  );
}

/** `describe` when Prometheus can run here, `describe.skip` otherwise. */
export const describeWithPrometheus: jest.Describe = prometheusBinary
  ? describe
  : describe.skip;

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestPrometheus {
  url: string;
  /** Waits until every target has been scraped at least `times` times since now. */
  scraped(times?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` (host:port) every second. */
export async function startPrometheus(
  targets: string[],
): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-prometheus-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: services',
      '    static_configs:',
      `      - targets: [${targets.map(t => `'${t}'`).join(', ')}]`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    prometheusBinary!,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`Prometheus did not start (exit ${child.exitCode})`);
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return {
    url,
    async scraped(times = 2) {
      // Scrapes so far, by target: `up` gets a sample on every scrape.
      const counts = async () => {
        const res = await fetch(
          `${url}/api/v1/query?query=${encodeURIComponent(
            'count_over_time(up[1h])',
          )}`,
        );
        const body = (await res.json()) as {
          data: { result: Array<{ value: [number, string] }> };
        };
        const values = body.data.result.map(r => Number(r.value[1]));
        return values.length === targets.length ? Math.min(...values) : 0;
      };
      const start = await counts();
      const until = Date.now() + 30_000;
      while ((await counts()) < start + times) {
        if (Date.now() > until) {
          throw new Error(
            `Prometheus did not scrape ${targets.join(', ')} ${times} times`,
          );
        }
        await new Promise(r => setTimeout(r, 250));
      }
    },
    async stop() {
      const exited = new Promise(r => child.once('exit', r));
      child.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
