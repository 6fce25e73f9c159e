/*
 * Benchmark: verifying Sigstore bundles on one core. Prints bundles verified
 * per second for a real public-good keyless bundle (certificate chain, Rekor
 * inclusion proof and SET) and for key-signed bundles, and the service-level
 * p50/p95 of recording a verified attestation against recording reported
 * evidence, on in-memory SQLite. Not a test: it asserts nothing.
 *
 *   yarn workspace @backstage-delivery/plugin-delivery-backend bench:attest
 */
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import knexFactory from 'knex';
import { performance } from 'node:perf_hooks';
import { readDeliveryConfig } from '../config/readDeliveryConfig';
import { applyDatabaseMigrations } from '../database/migrations';
import { createLedgerServices } from '../service/createServices';
import { SigstoreVerifier } from '../supplyChain/SigstoreVerifier';
import { inTotoStatement, signWithKey } from '../supplyChain/keyBundles';

/** A real public-good bundle (see supplyChain/__fixtures__/README.md) and its signer. */
const fixture = (file: string) =>
  JSON.parse(
    readFileSync(
      resolvePackagePath(
        '@backstage-delivery/plugin-delivery-backend',
        'src/supplyChain/__fixtures__',
        file,
      ),
      'utf8',
    ),
  );
const FIXTURE_SIGNER = {
  issuer: 'https://github.com/login/oauth',
  subject: 'brian@dehamer.com',
};

function keyBundle(key: { id: string; privateKey: KeyObject }, digest: string) {
  return signWithKey(
    inTotoStatement({
      name: 'ghcr.io/acme/bench',
      digest,
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    }),
    key,
  );
}

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
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = {
    id: 'bench-key',
    privateKey: pair.privateKey,
    publicKey: pair.publicKey
      .export({ type: 'spki', format: 'pem' })
      .toString(),
  };
  const config = readDeliveryConfig(
    new ConfigReader({
      delivery: {
        supplyChain: {
          keys: [{ id: key.id, publicKey: key.publicKey }],
          signers: [{ key: key.id }, FIXTURE_SIGNER],
          attestationOnly: [],
        },
      },
    }),
  );
  const verifier = new SigstoreVerifier(config.supplyChain);
  const keyless = fixture('bundleV03-dsse.sigstore');
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
    () => verifier.verify(fixture('bundleV01-dsse-with-proof.sigstore')),
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
