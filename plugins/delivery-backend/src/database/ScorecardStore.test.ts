import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { Promotion } from '../domain/types';
import { Ledger } from './Ledger';
import { applyDatabaseMigrations } from './migrations';
import { ScorecardStore } from './ScorecardStore';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 27, 12);
const A = 'component:default/orders';
const B = 'component:default/payments';
const C = 'component:default/quiet';
const PINNED = `node:22@sha256:${'a'.repeat(64)}`;

async function seed(knex: Knex, store: Ledger) {
  let n = 0;
  const artifact = async (
    componentRef: string,
    createdAt: number,
    baseImage?: string,
  ) => {
    n += 1;
    const id = `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
    await store.artifacts.recordArtifact(
      {
        id,
        componentRef,
        digest: `sha256:${n.toString(16).padStart(64, '0')}`,
        imageRepository: 'ghcr.io/acme/app',
        tags: [],
        commitSha: `${n}`.padEnd(40, '0'),
        ...(baseImage ? { baseImage } : {}),
      },
      'service:ci',
      createdAt,
    );
    return id;
  };
  const evidence = (
    artifactId: string,
    kind: any,
    result: any,
    at: number,
    summary?: any,
  ) =>
    store.evidence.addEvidence({
      artifactId,
      kind,
      result,
      summary,
      reportedBy: 'service:ci',
      reportedAt: at,
    });
  let p = 0;
  const promotion = async (
    componentRef: string,
    artifactId: string,
    overrides: Partial<Promotion>,
  ) => {
    p += 1;
    const id = `10000000-0000-4000-8000-${p.toString().padStart(12, '0')}`;
    const at = overrides.completedAt ?? overrides.createdAt ?? NOW;
    await store.promotions.insertPromotion(
      {
        id,
        componentRef,
        environment: 'production',
        ladder: 'standard',
        artifactId,
        kind: 'normal',
        state: 'succeeded',
        requestedBy: 'service:ci',
        gates: [],
        requiredApprovals: 0,
        createdAt: at - HOUR,
        updatedAt: at,
        ...overrides,
      },
      false,
    );
    return id;
  };

  // A: released to production, signed; its provenance failed, then passed.
  // A newer build on a pinned base, scanned with 2 high findings.
  const a1 = await artifact(A, NOW - 10 * DAY);
  await store.evidence.addEvidence({
    artifactId: a1,
    kind: 'signature',
    result: 'passed',
    reportedBy: 'service:ci',
    reportedAt: NOW - 10 * DAY,
    attestation: {
      facts: {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        bundleDigest: `sha256:${'9'.repeat(64)}`,
        content: 'dsse',
        signer: { type: 'key', keyId: 'ci' },
        subjects: [],
        signedTimestamps: 0,
      },
      bundle: '{}',
    },
  });
  await evidence(a1, 'provenance', 'failed', NOW - 10 * DAY);
  await evidence(a1, 'provenance', 'passed', NOW - 9 * DAY);
  const released = await promotion(A, a1, { completedAt: NOW - 8 * DAY });
  await store.releases.setRelease({
    componentRef: A,
    environment: 'production',
    promotionId: released,
    artifactId: a1,
    releasedAt: NOW - 8 * DAY,
    releasedBy: 'service:ci',
  });
  const a2 = await artifact(A, NOW - DAY, PINNED);
  await evidence(a2, 'image-scan', 'passed', NOW - DAY, {
    vulnerabilities: { critical: 0, high: 2 },
  });
  // A tried to skip to production twice (once before the window).
  const skipped = [
    { gate: 'ladder', verdict: 'failed', message: 'staging has not…' },
  ] as Promotion['gates'];
  await promotion(A, a2, {
    state: 'refused',
    createdAt: NOW - 2 * DAY,
    gates: skipped,
  });
  await promotion(A, a2, {
    state: 'refused',
    createdAt: NOW - 100 * DAY,
    gates: skipped,
  });
  // A failed in production 3 days ago; restored 2 hours later.
  await promotion(A, a2, { state: 'failed', completedAt: NOW - 3 * DAY });
  await promotion(A, a1, {
    kind: 'hotfix',
    completedAt: NOW - 3 * DAY + 2 * HOUR,
  });

  // B: a build, never released; a failure still open; a preview 1 h past
  // its expiry, one just expired, one deleted.
  const b1 = await artifact(B, NOW - 5 * DAY);
  await promotion(B, b1, { state: 'errored', completedAt: NOW - DAY });
  const preview = (id: number, state: string, expiresAt: number) =>
    knex('delivery_previews').insert({
      id: `20000000-0000-4000-8000-${id.toString().padStart(12, '0')}`,
      component_ref: B,
      cluster: 'local',
      namespace: `preview-b-${id}`,
      pull_request: id,
      state,
      requested_by: 'service:ci',
      created_at: NOW - 2 * DAY,
      updated_at: NOW - 2 * DAY,
      expires_at: expiresAt,
    });
  await preview(1, 'ready', NOW - HOUR);
  await preview(2, 'ready', NOW - 5 * 60_000);
  await preview(3, 'deleted', NOW - 2 * DAY);
}

describe('ScorecardStore', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  async function create(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const store = new Ledger(knex);
    await seed(knex, store);
    return {
      scorecards: new ScorecardStore(knex),
      queries: new ScorecardStore(knex, { metricDays: false }),
    };
  }

  it.each(databases.eachSupportedId())(
    'gathers the facts of many components in grouped queries, %p',
    async databaseId => {
      const { scorecards, queries } = await create(databaseId);
      const q = {
        componentRefs: [A, B, C],
        production: ['production'],
        // 90 days, today the last of them.
        from: Date.UTC(2026, 7, 30),
        now: NOW,
        previewGraceMs: 15 * 60_000,
      };

      const facts = await scorecards.facts(q);
      // The metrics kept per day say what the aggregate queries say.
      expect(facts).toEqual(await queries.facts(q));

      expect(facts.get(A)).toEqual({
        production: {
          environment: 'production',
          artifactId: expect.any(String),
          evidence: { signature: 'passed', provenance: 'passed' },
          verified: ['signature'],
        },
        latestArtifact: {
          artifactId: expect.any(String),
          baseImage: PINNED,
          scan: { result: 'passed', critical: 0, high: 2 },
        },
        skipAttempts: 1,
        overduePreviews: 0,
        incidents: { count: 1, open: 0, slowestMs: 2 * HOUR },
      });
      expect(facts.get(B)).toEqual({
        latestArtifact: { artifactId: expect.any(String) },
        skipAttempts: 0,
        overduePreviews: 1,
        incidents: { count: 1, open: 1 },
      });
      expect(facts.get(C)).toEqual({
        skipAttempts: 0,
        overduePreviews: 0,
        incidents: { count: 0, open: 0 },
      });
    },
  );
});
