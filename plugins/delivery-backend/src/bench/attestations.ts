/*
 * Benchmark: verifying Sigstore bundles on one core. Prints bundles verified
 * per second for a real public-good keyless bundle (certificate chain, Rekor
 * inclusion proof and SET) and for key-signed bundles, and the service-level
 * p50/p95 of recording a verified attestation against recording reported
 * evidence, on in-memory SQLite. Not a test: it asserts nothing.
 *
 *   yarn workspace @backstage-delivery/plugin-delivery-backend bench:attest
 */
import { ConfigReader } from '@backstage/config';
import knexFactory from 'knex';
import { performance } from 'node:perf_hooks';
import { readDeliveryConfig } from '../config/readDeliveryConfig';
import { applyDatabaseMigrations } from '../database/migrations';
import { createLedgerServices } from '../service/createServices';
import { SigstoreVerifier } from '../supplyChain/SigstoreVerifier';
import {
  FIXTURE_SIGNER,
  fixtureBundle,
  keyBundle,
  settingsWith,
  testKey,
} from '../supplyChain/__testUtils__/supplyChain';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);

function perSecond(label: string, rounds: number, run: () => void) {
  const start = performance.now();
  for (let i = 0; i < rounds; i++) run();
  const ms = performance.now() - start;
  console.log(
    `${label}: ${Math.round((rounds / ms) * 1000)} bundles/s (${(
      ms / rounds
    ).toFixed(2)} ms each, ${rounds} rounds)`,
  );
}

function percentiles(label: string, samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.floor((sorted.length - 1) * p)];
  console.log(
    `${label}: p50 ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms (${
      samples.length
    } calls)`,
  );
}

async function main() {
  const key = testKey('bench-key');
  const verifier = new SigstoreVerifier(
    settingsWith([key], {
      policy: {
        signers: [
          { issuer: FIXTURE_SIGNER.issuer, subject: FIXTURE_SIGNER.subject },
        ],
        provenance: { builders: [], sourceFromCatalog: false, refs: [] },
      },
    }),
  );
  const keyless = fixtureBundle('v0.3');
  const first = performance.now();
  verifier.verify(keyless);
  console.log(
    `first keyless verification (trust material built): ${(
      performance.now() - first
    ).toFixed(1)} ms`,
  );
  perSecond('keyless public-good bundle (v0.3, DSSE)', ROUNDS, () =>
    verifier.verify(keyless),
  );
  perSecond(
    'keyless public-good bundle (v0.1, with inclusion proof)',
    ROUNDS,
    () => verifier.verify(fixtureBundle('v0.1')),
  );
  const digest = `sha256:${'ab'.repeat(32)}`;
  const signed = keyBundle(key, digest);
  perSecond('key-signed bundle (v0.3, DSSE, ECDSA P-256)', ROUNDS * 4, () =>
    verifier.verify(signed),
  );

  // Recording: attest (verify + policy + insert) against reported evidence.
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  await applyDatabaseMigrations(knex);
  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'bench', namespace: 'default' },
    spec: { type: 'service', owner: 'team', lifecycle: 'production' },
  };
  const config = readDeliveryConfig(
    new ConfigReader({
      delivery: {
        supplyChain: {
          keys: [{ id: key.id, publicKey: key.publicKey }],
          attestationOnly: [],
        },
      },
    }),
  );
  const services = createLedgerServices({
    knex,
    config,
    catalog: { getEntity: async () => entity },
  });
  const actor = { type: 'service' as const, ref: 'ci', ownershipRefs: [] };
  const attest: number[] = [];
  const report: number[] = [];
  for (let i = 0; i < ROUNDS / 5; i++) {
    const d = `sha256:${i.toString(16).padStart(64, '0')}`;
    const { artifact } = await services.artifacts.recordArtifact(
      {
        componentRef: 'component:default/bench',
        digest: d,
        imageRepository: 'ghcr.io/acme/bench',
        tags: [],
        commitSha: '0'.repeat(40),
      },
      actor,
    );
    let t = performance.now();
    await services.attestations.attest(
      artifact,
      { bundle: keyBundle(key, d) },
      actor,
    );
    attest.push(performance.now() - t);
    t = performance.now();
    await services.artifacts.addEvidence(
      artifact.id,
      { kind: 'signature', result: 'passed' },
      actor,
    );
    report.push(performance.now() - t);
  }
  percentiles('record a verified attestation (key bundle)', attest);
  percentiles('record reported evidence', report);
  await knex.destroy();
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
