/*
 * `make bench`: the portal under load, as a platform team would run it — two
 * backend replicas (packages/backend/src/bench/replica.ts) on one PostgreSQL
 * with Redis as their shared cache, the ledger seeded with 2,000 components,
 * 200,000 artifacts and 500,000 promotions (kept between runs: the database
 * delivery_bench_delivery is re-used when it holds exactly that), the catalog
 * holding the same 2,000 components.
 *
 * For each request it prints p50/p95 and throughput next to its anchors,
 * measured in the same run: the catalog's entity-by-name request and the raw
 * indexed SQL the route needs (the floor). Then evidence ingest over HTTP
 * from 32 clients across both replicas. Not a test: it asserts nothing; it
 * prints the targets of issue 17 and whether this run met them.
 *
 *   make bench                       (BENCH_COMPONENTS=200 make bench for a quick look)
 *
 * Uses BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (default
 * postgresql://postgres@127.0.0.1:5432) and REDIS_URL (default
 * redis://127.0.0.1:6379).
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { MetricDayStore } from '../database/MetricDayStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { call, Figures, line, measure } from './load';
import { portalConfig, catalogEntities } from './portalConfig';
import {
  ARTIFACTS_PER_COMPONENT,
  benchArtifactId,
  benchComponent,
  PROMOTIONS_PER_COMPONENT,
  seedBenchLedger,
} from './seed';
import { overviewFloor, artifactListFloor } from './floors';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 2000);
const POSTGRES =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = 'delivery_bench_';
const TOKEN = 'bench-token';
const PORTS = [7107, 7108];
// The benchmark runs from this package's folder (yarn workspace … bench:portal).
const REPO_ROOT = path.resolve(process.cwd(), '../..');
const WORK = path.join(os.tmpdir(), 'delivery-bench');
const INGEST_REPORTER = 'bench-ingest';

const log = (message: string) => process.stdout.write(`${message}\n`);

function databaseUrl(name: string) {
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The delivery database, seeded unless it already holds the bench ledger. */
async function ledger(): Promise<Knex> {
  const admin = knexFactory({ client: 'pg', connection: POSTGRES });
  const name = `${PREFIX}delivery`;
  const exists = await admin.raw(
    'SELECT 1 FROM pg_database WHERE datname = ?',
    [name],
  );
  if (exists.rows.length === 0) await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const knex = knexFactory({
    client: 'pg',
    connection: databaseUrl(name),
    pool: { min: 1, max: 8 },
  });
  let started = Date.now();
  // Builds the metrics kept per day the first time it meets this ledger.
  await applyDatabaseMigrations(knex);
  log(`Migrations applied in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  const count = async (table: string) =>
    Number((await knex(table).count({ n: '*' }))[0].n);
  const [promotions, artifacts] = await Promise.all([
    count('delivery_promotions'),
    count('delivery_artifacts'),
  ]);
  if (
    promotions === COMPONENTS * PROMOTIONS_PER_COMPONENT &&
    artifacts === COMPONENTS * ARTIFACTS_PER_COMPONENT
  ) {
    log(`Re-using the seeded ledger in ${name}.`);
  } else {
    log(
      `Seeding ${name}: ${COMPONENTS} components, ${
        COMPONENTS * ARTIFACTS_PER_COMPONENT
      } artifacts, ${COMPONENTS * PROMOTIONS_PER_COMPONENT} promotions…`,
    );
    await knex.raw(
      `TRUNCATE delivery_approvals, delivery_releases, delivery_promotions,
         delivery_evidence, delivery_artifact_tags, delivery_artifacts CASCADE`,
    );
    const seedMs = await seedBenchLedger(knex, COMPONENTS, log);
    log(`Seeded in ${(seedMs / 1000).toFixed(0)} s.`);
    // Bulk inserts bypass the write path: build the metric days from them.
    await knex('delivery_metric_rollup').update({ built_at: null });
    started = Date.now();
    await new MetricDayStore(knex).ensureBuilt();
    log(
      `Metric days built in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    );
  }
  // A ledger in service is vacuumed by autovacuum; a fresh one is not yet.
  await knex.raw('VACUUM ANALYZE');
  return knex;
}

function startReplica(index: number): ChildProcess {
  const config = path.join(WORK, `replica-${index}.yaml`);
  fs.writeFileSync(
    config,
    JSON.stringify({
      backend: {
        baseUrl: `http://127.0.0.1:${PORTS[index]}`,
        listen: { host: '127.0.0.1', port: PORTS[index] },
      },
    }),
  );
  const out = fs.openSync(path.join(WORK, `replica-${index}.log`), 'w');
  return spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(REPO_ROOT, 'packages/backend/src/bench/replica.ts'),
      '--config',
      path.join(WORK, 'app-config.bench.yaml'),
      '--config',
      config,
    ],
    {
      cwd: path.join(REPO_ROOT, 'packages/backend'),
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn' },
      stdio: ['ignore', out, out],
    },
  );
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

async function startPortal(): Promise<ChildProcess[]> {
  const replicas: ChildProcess[] = [];
  // One after the other: Backstage's plugin migrations are not safe to race.
  for (const index of [0, 1]) {
    const child = startReplica(index);
    replicas.push(child);
    child.on('exit', code => {
      if (code) log(`replica ${index} exited with ${code}; see ${WORK}`);
    });
    await waitFor(`replica ${index}`, 180_000, async () => {
      const res = await fetch(
        `http://127.0.0.1:${PORTS[index]}/.backstage/health/v1/readiness`,
      );
      return res.ok;
    });
  }
  log('Two replicas are up; waiting for the catalog to hold every component…');
  await waitFor('the catalog', 900_000, async () => {
    const page = (await call(
      `http://127.0.0.1:${PORTS[0]}/api/catalog/entities/by-query?filter=kind=component&limit=1`,
      TOKEN,
    )) as { totalItems: number };
    return page.totalItems >= COMPONENTS;
  });
  return replicas;
}

interface Case {
  label: string;
  requests: number;
  url: (i: number) => string;
}

const replicaUrl = (i: number, route: string) =>
  `http://127.0.0.1:${PORTS[i % 2]}${route}`;
const pick = (i: number) => benchComponent((i * 7919) % COMPONENTS);

async function run(knex: Knex) {
  const lines: string[] = [];
  const print = (text: string) => {
    lines.push(text);
    log(text);
  };
  const get = (c: Case, clients: number) =>
    measure(c.label, clients, c.requests, i => call(c.url(i), TOKEN));

  const catalog: Case = {
    label: 'catalog entity by name (anchor)',
    requests: 400,
    url: i =>
      replicaUrl(
        i,
        `/api/catalog/entities/by-name/component/default/${
          pick(i).split('/')[1]
        }`,
      ),
  };
  const overview: Case = {
    label: 'delivery overview of a component',
    requests: 400,
    url: i => replicaUrl(i, `/api/delivery/overview?component=${pick(i)}`),
  };
  const artifacts: Case = {
    label: 'artifacts of a component, page of 20',
    requests: 400,
    url: i =>
      replicaUrl(i, `/api/delivery/artifacts?component=${pick(i)}&limit=20`),
  };
  // Warm up both replicas (JIT, connection pools, the catalog cache).
  for (const c of [catalog, overview, artifacts]) {
    await measure('warm-up', 4, 100, i => call(c.url(i + 1000), TOKEN));
  }

  /** A route and its SQL floor at a number of clients, as ratios to the anchor. */
  const versus = async (
    route: Case,
    floorLabel: string,
    floor: (db: Knex, componentRef: string) => Promise<unknown>,
    clients: number,
    anchor: Figures,
  ) => {
    const floorFigures = await measure(floorLabel, clients, route.requests, i =>
      floor(knex, pick(i)),
    );
    print(line(floorFigures));
    const figures = await get(route, clients);
    print(
      line(figures, [
        { name: 'catalog', figures: anchor },
        { name: 'floor', figures: floorFigures },
      ]),
    );
    return { figures, floor: floorFigures };
  };

  const results: Record<string, Figures> = {};
  for (const clients of [1, 8]) {
    print(`\nAt ${clients} client${clients > 1 ? 's' : ''}:`);
    const anchor = await get(catalog, clients);
    print(line(anchor));
    const { figures, floor } = await versus(
      overview,
      'overview SQL floor',
      overviewFloor,
      clients,
      anchor,
    );
    await versus(
      artifacts,
      'artifact list SQL floor',
      artifactListFloor,
      clients,
      anchor,
    );
    Object.assign(results, {
      [`catalog${clients}`]: anchor,
      [`overview${clients}`]: figures,
      [`floor${clients}`]: floor,
    });
  }

  print(
    '\nOrganisation-wide, uncached (delivery.metrics.organisationCacheTtl: 0), 1 client:',
  );
  const metric = (label: string, route: string, requests: number) =>
    measure(label, 1, requests, i => call(replicaUrl(i, route), TOKEN));
  const dora = await metric(
    'DORA, organisation, 30 days',
    '/api/delivery/metrics/dora?days=30',
    20,
  );
  print(line(dora));
  const pipeline = await metric(
    'pipeline stats, organisation, 30 days',
    '/api/delivery/metrics/pipeline?days=30',
    20,
  );
  print(line(pipeline));
  const summary = await metric(
    `scorecard summary, ${COMPONENTS} components`,
    '/api/delivery/scorecards/summary',
    20,
  );
  print(line(summary));

  print('\nEvidence ingest over HTTP, 32 clients across both replicas:');
  const posts = 4000;
  const ingest = await measure('POST evidence', 32, posts, i =>
    call(
      replicaUrl(
        i,
        `/api/delivery/artifacts/${benchArtifactId(
          i % COMPONENTS,
          ARTIFACTS_PER_COMPONENT - 1 - (Math.floor(i / COMPONENTS) % 10),
        )}/evidence`,
      ),
      TOKEN,
      {
        method: 'POST',
        body: { kind: 'integration-test', result: 'passed' },
        headers: { 'idempotency-key': `bench-${Date.now()}-${i}` },
      },
    ),
  );
  print(line(ingest));
  if (ingest.firstError) print(`  first error: ${ingest.firstError}`);

  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  const ratio = (a: Figures, b: Figures) => a.p95 / b.p95;
  print('\nTargets (issue 17):');
  for (const clients of [1, 8]) {
    const o = results[`overview${clients}`];
    const c = results[`catalog${clients}`];
    const f = results[`floor${clients}`];
    print(
      `  overview p95 ≤ 1.0× catalog at ${clients}: ${ratio(o, c).toFixed(
        2,
      )}× — ${verdict(ratio(o, c) <= 1)}; ≤ 3× floor: ${ratio(o, f).toFixed(
        2,
      )}× — ${verdict(ratio(o, f) <= 3)}`,
    );
  }
  print(
    `  DORA p95 ≤ 100 ms: ${dora.p95.toFixed(0)} ms — ${verdict(
      dora.p95 <= 100,
    )}`,
  );
  print(
    `  pipeline p95 ≤ 100 ms: ${pipeline.p95.toFixed(0)} ms — ${verdict(
      pipeline.p95 <= 100,
    )}`,
  );
  print(
    `  scorecard summary p95 ≤ 300 ms: ${summary.p95.toFixed(0)} ms — ${verdict(
      summary.p95 <= 300,
    )}`,
  );
  print(
    `  evidence ingest ≥ 1000/s with no error: ${ingest.throughput.toFixed(
      0,
    )}/s, ${ingest.errors} errors — ${verdict(
      ingest.throughput >= 1000 && ingest.errors === 0,
    )}`,
  );
  fs.writeFileSync(path.join(WORK, 'report.txt'), `${lines.join('\n')}\n`);
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  log(
    `make bench on ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${(
      os.totalmem() /
      2 ** 30
    ).toFixed(0)} GiB, ${new Date().toISOString()}`,
  );
  const entities = path.join(WORK, 'catalog.yaml');
  fs.writeFileSync(entities, catalogEntities(COMPONENTS));
  fs.writeFileSync(
    path.join(WORK, 'app-config.bench.yaml'),
    JSON.stringify(
      portalConfig({
        postgres: POSTGRES,
        redis: REDIS,
        prefix: PREFIX,
        token: TOKEN,
        subject: INGEST_REPORTER,
        entities,
      }),
    ),
  );
  const knex = await ledger();
  let replicas: ChildProcess[] = [];
  try {
    replicas = await startPortal();
    await run(knex);
    log(`\nThe report is in ${path.join(WORK, 'report.txt')}.`);
  } finally {
    for (const child of replicas) child.kill('SIGTERM');
    // Leave the seeded ledger as it was for the next run.
    await knex('delivery_evidence')
      .where('reported_by', INGEST_REPORTER)
      .delete();
    await knex('delivery_idempotency_keys')
      .delete()
      .catch(() => undefined);
    await knex.destroy();
  }
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
