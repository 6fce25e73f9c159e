/*
 * Benchmark: the ledger's screen queries at the scale the product is designed
 * for (2,000 components, 200,000 artifacts, 500,000 promotions), on SQLite,
 * PostgreSQL or MySQL. Seeds with bulk inserts, then times the service calls
 * the UI and CLI make, and prints the figures. Not a test: it asserts nothing.
 *
 *   yarn workspace @backstage-delivery/plugin-delivery-backend bench [sqlite|pg|mysql]
 *
 * pg and mysql use BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING /
 * BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING and a scratch database
 * named delivery_bench, dropped afterwards.
 */
import { ConfigReader } from '@backstage/config';
import knexFactory, { Knex } from 'knex';
import { readDeliveryConfig } from '../config/readDeliveryConfig';
import { MetricsStore } from '../database/MetricsStore';
import { ScorecardStore } from '../database/ScorecardStore';
import { GATE_NAMES } from '../domain/types';
import { applyDatabaseMigrations } from '../database/migrations';
import { createLedgerServices } from '../service/createServices';
import {
  ARTIFACTS_PER_COMPONENT,
  BENCH_LADDERS,
  BENCH_NOW,
  benchComponent,
  benchUuid,
  PROMOTIONS_PER_COMPONENT,
  seedBenchLedger,
} from './seed';

const COMPONENTS = Number(process.env.BENCH_COMPONENTS ?? 2000);
const NOW = BENCH_NOW;

async function connect(
  engine: string,
): Promise<{ knex: Knex; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    return { knex, drop: () => knex.destroy() };
  }
  const url =
    engine === 'pg'
      ? process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
      : process.env.BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING;
  if (!url)
    throw new Error(`Set the ${engine} test database connection string`);
  const client = engine === 'pg' ? 'pg' : 'mysql2';
  const admin = knexFactory({ client, connection: url });
  await admin.raw('DROP DATABASE IF EXISTS delivery_bench');
  await admin.raw('CREATE DATABASE delivery_bench');
  const parsed = new URL(url);
  parsed.pathname = '/delivery_bench';
  const knex = knexFactory({
    client,
    connection: parsed.toString(),
    pool: { min: 1, max: 5 },
  });
  return {
    knex,
    drop: async () => {
      await knex.destroy();
      await admin.raw('DROP DATABASE delivery_bench');
      await admin.destroy();
    },
  };
}

const uuid = benchUuid;
const component = benchComponent;

async function time(
  label: string,
  runs: number,
  fn: (i: number) => Promise<unknown>,
) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const pick = (q: number) =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  console.log(
    `${label.padEnd(58)} p50 ${pick(0.5)
      .toFixed(1)
      .padStart(7)} ms   p95 ${pick(0.95)
      .toFixed(1)
      .padStart(7)} ms   (${runs} runs)`,
  );
}

async function main() {
  const engine = process.argv[2] ?? 'sqlite';
  const { knex, drop } = await connect(engine);
  try {
    await applyDatabaseMigrations(knex);
    console.log(
      `Seeding ${COMPONENTS} components, ${
        COMPONENTS * ARTIFACTS_PER_COMPONENT
      } artifacts, ${
        COMPONENTS * PROMOTIONS_PER_COMPONENT
      } promotions on ${engine}…`,
    );
    const seedMs = await seedBenchLedger(knex, COMPONENTS, message =>
      console.log(message),
    );
    console.log(`Seeded in ${(seedMs / 1000).toFixed(1)} s`);
    if (engine === 'pg') await knex.raw('ANALYZE');

    const config = readDeliveryConfig(
      new ConfigReader({
        delivery: {
          ladders: BENCH_LADDERS,
        },
      }),
    );
    const services = createLedgerServices({
      knex,
      config,
      catalog: {
        getEntity: async (ref: string) => ({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: ref.split('/')[1] },
        }),
      },
      clock: () => NOW,
    });
    const pickComponent = (i: number) => component((i * 7919) % COMPONENTS);

    await time('overview of a component (Delivery tab, first call)', 50, i =>
      services.overview.overview(pickComponent(i)),
    );
    await time('artifacts of a component, first page of 20', 50, i =>
      services.artifacts.listArtifacts(pickComponent(i), { limit: 20 }),
    );
    await time(
      'artifacts of a component, 4th page of 20 (cursor)',
      20,
      async i => {
        let cursor: string | undefined;
        for (let page = 0; page < 4; page++) {
          cursor = (
            await services.artifacts.listArtifacts(pickComponent(i), {
              limit: 20,
              cursor,
            })
          ).nextCursor;
        }
      },
    );
    await time('promotions of a component, first page of 20', 50, i =>
      services.promotions.listPromotions(
        { componentRef: pickComponent(i) },
        { limit: 20 },
      ),
    );
    await time('promotions of a component in production, page of 20', 50, i =>
      services.promotions.listPromotions(
        { componentRef: pickComponent(i), environment: 'production' },
        { limit: 20 },
      ),
    );
    await time(
      'failed production promotions, organisation, page of 50',
      20,
      () =>
        services.promotions.listPromotions(
          { environment: 'production', states: ['failed', 'rolled-back'] },
          { limit: 50 },
        ),
    );
    await time('all promotions, 10 pages of 100 (cursor)', 5, async () => {
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        cursor = (
          await services.promotions.listPromotions({}, { limit: 100, cursor })
        ).nextCursor;
      }
    });
    await time('one artifact with its evidence history', 50, i =>
      services.artifacts.getArtifact(
        uuid(1, ((i * 7919) % COMPONENTS) * ARTIFACTS_PER_COMPONENT + 50),
      ),
    );

    // Delivery metrics: the DORA keys are aggregate queries over every
    // production promotion of the scope and window.
    const metrics = new MetricsStore(knex);
    const production = [{ ladder: 'standard', environment: 'production' }];
    const window = (days: number) => ({
      from: NOW - days * 86_400_000,
      to: NOW,
      bucketMs: days <= 31 ? 86_400_000 : 7 * 86_400_000,
      production,
    });
    await time('DORA keys of a component, 30 days', 20, i =>
      metrics.dora({
        ...window(30),
        componentRefs: [component((i * 7919) % COMPONENTS)],
      }),
    );
    await time('DORA keys of an owner (50 components), 90 days', 10, i =>
      metrics.dora({
        ...window(90),
        componentRefs: Array.from({ length: 50 }, (_, k) =>
          component((i * 50 + k) % COMPONENTS),
        ),
      }),
    );
    await time('DORA keys of the organisation, 90 days', 5, () =>
      metrics.dora(window(90)),
    );
    await time('DORA keys of the organisation, 365 days', 5, () =>
      metrics.dora(window(365)),
    );
    await time('pipeline stats of the organisation, 30 days', 5, () =>
      metrics.pipeline({
        from: NOW - 30 * 86_400_000,
        to: NOW,
        gates: GATE_NAMES,
      }),
    );
    const scorecards = new ScorecardStore(knex);
    const all = Array.from({ length: COMPONENTS }, (_, c) => component(c));
    await time('scorecard facts of one component', 20, i =>
      scorecards.facts({
        componentRefs: [component((i * 7919) % COMPONENTS)],
        production: ['production'],
        from: NOW - 90 * 86_400_000,
        now: NOW,
        previewGraceMs: 900_000,
      }),
    );
    await time('scorecard facts of every component (organisation)', 3, () =>
      scorecards.facts({
        componentRefs: all,
        production: ['production'],
        from: NOW - 90 * 86_400_000,
        now: NOW,
        previewGraceMs: 900_000,
      }),
    );
  } finally {
    await drop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
