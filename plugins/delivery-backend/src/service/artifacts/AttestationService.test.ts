import { JsonObject } from '@backstage/types';
import { ConfigReader } from '@backstage/config';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { readDeliveryConfig } from '../../config/readDeliveryConfig';
import { applyDatabaseMigrations } from '../../database/migrations';
import { Actor } from '../../domain/types';
import {
  inTotoStatement,
  githubProvenance,
  signWithKey,
} from '../../supplyChain/keyBundles';
import {
  fixtureBundle,
  keyBundle,
  testKey,
} from '../../supplyChain/__testUtils__/supplyChain';
import { createLedgerServices } from '../createServices';

jest.setTimeout(60_000);

const CI: Actor = { type: 'service', ref: 'github-actions', ownershipRefs: [] };
const ALICE: Actor = {
  type: 'user',
  ref: 'user:default/alice',
  ownershipRefs: ['user:default/alice', 'group:default/team-payments'],
};
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const SIGN = 'https://sigstore.dev/cosign/sign/v1';
const SLSA = 'https://slsa.dev/provenance/v1';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: { 'github.com/project-slug': 'acme/payments-api' },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};
const catalog = {
  getEntity: async (ref: string) =>
    ref === stringifyEntityRef(entity) ? entity : undefined,
};

const ciKey = testKey('ci-key');
const otherKey = testKey('other-key');

/** The config of the tests: production requires verified signature and provenance. */
function deliveryConfig(
  options: {
    signers?: JsonObject[];
    productionSigners?: JsonObject[];
    keys?: Array<typeof ciKey>;
  } = {},
) {
  return readDeliveryConfig(
    new ConfigReader({
      delivery: {
        supplyChain: {
          keys: (options.keys ?? [ciKey, otherKey]).map(k => ({
            id: k.id,
            publicKey: k.publicKey,
          })),
          signers: options.signers ?? [{ key: 'ci-key' }],
          provenance: {
            builders: ['https://github.com/actions/runner/github-hosted'],
            refs: ['refs/heads/main'],
          },
          reporters: { 'unit-test': ['github-actions'] },
        },
        ladders: {
          standard: {
            environments: [
              {
                name: 'production',
                requiredEvidence: [
                  'unit-test',
                  { signature: 'verified' },
                  { provenance: 'verified' },
                ],
                ...(options.productionSigners
                  ? { supplyChain: { signers: options.productionSigners } }
                  : {}),
              },
            ],
          },
        },
      },
    }),
  );
}

function provenance(
  digest: string,
  overrides: Partial<Parameters<typeof githubProvenance>[0]> = {},
) {
  return signWithKey(
    inTotoStatement({
      name: 'ghcr.io/acme/payments-api',
      digest,
      predicateType: SLSA,
      predicate: githubProvenance({
        repository: 'acme/payments-api',
        ref: 'refs/heads/main',
        commit: `${'c0ffee'.repeat(6)}c0ff`,
        workflow: '.github/workflows/build.yaml',
        runId: 42,
        ...overrides,
      }),
    }),
    ciKey,
  );
}

describe('AttestationService', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15', 'MYSQL_8'],
  });

  async function setUp(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    return knex;
  }

  function services(knex: Knex, config = deliveryConfig()) {
    return createLedgerServices({ knex, config, catalog, clock: () => 1_000 });
  }

  async function record(knex: Knex) {
    const { artifacts } = services(knex);
    const { artifact } = await artifacts.recordArtifact(
      {
        componentRef: 'payments-api',
        digest: DIGEST,
        imageRepository: 'ghcr.io/acme/payments-api',
        tags: ['1.0.0'],
        commitSha: `${'c0ffee'.repeat(6)}c0ff`,
        branch: 'main',
        buildId: '42',
      } as any,
      CI,
    );
    return artifact;
  }

  async function promote(knex: Knex, config = deliveryConfig()) {
    return services(knex, config).promotions.requestPromotion(
      {
        componentRef: 'payments-api',
        digest: DIGEST,
        environment: 'production',
        kind: 'normal',
      },
      ALICE,
    );
  }

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    it('records verified evidence with what was verified, once per bundle', async () => {
      const knex = await setUp(databaseId);
      const artifact = await record(knex);
      const { attestations, ledger } = services(knex);

      const bundle = keyBundle(ciKey, DIGEST, SIGN);
      const first = await attestations.attest(artifact, { bundle }, CI);
      expect(first.created).toBe(true);
      expect(first.evidence).toMatchObject({
        kind: 'signature',
        result: 'passed',
        reportedBy: 'github-actions',
        verification: {
          content: 'dsse',
          predicateType: SIGN,
          signer: { type: 'key', keyId: 'ci-key' },
          subjects: [
            expect.objectContaining({ digest: { sha256: 'ab'.repeat(32) } }),
          ],
          bundleDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        },
      });
      const again = await attestations.attest(artifact, { bundle }, CI);
      expect(again).toEqual({ evidence: first.evidence, created: false });

      const prov = await attestations.attest(
        artifact,
        { bundle: provenance(DIGEST) },
        CI,
      );
      expect(prov.evidence.verification).toMatchObject({
        provenance: {
          builderId: 'https://github.com/actions/runner/github-hosted',
          sourceRepository: 'github.com/acme/payments-api',
          sourceRef: 'refs/heads/main',
        },
      });
      const listed = await ledger.evidence.listEvidence(artifact.id);
      expect(listed.map(e => e.kind).sort()).toEqual([
        'provenance',
        'signature',
      ]);
      const stored = await ledger.evidence.attestations(artifact.id);
      expect(stored).toHaveLength(2);
      expect(JSON.parse(stored[0].bundle)).toHaveProperty('dsseEnvelope');
    });

    it('refuses what does not verify, says which check and why, and stores nothing', async () => {
      const knex = await setUp(databaseId);
      const artifact = await record(knex);
      const { attestations, ledger } = services(knex);
      const attest = (bundle: unknown) =>
        attestations.attest(artifact, { bundle }, CI);

      await expect(attest(keyBundle(ciKey, OTHER, SIGN))).rejects.toThrow(
        "The bundle was refused: subject: attests ghcr.io/acme/shop (sha256:cdcdcdcdcdcd…), not sha256:abababababab… (the artifact's sha256 digest)",
      );
      await expect(attest(keyBundle(otherKey, DIGEST, SIGN))).rejects.toThrow(
        'The bundle was refused: identity: signed by key other-key, but trusted signers are key ci-key',
      );
      const tampered = keyBundle(ciKey, DIGEST, SIGN) as any;
      tampered.dsseEnvelope.payload = Buffer.from(
        JSON.stringify(
          inTotoStatement({
            name: 'x',
            digest: DIGEST,
            predicateType: SLSA,
            predicate: {},
          }),
        ),
      ).toString('base64');
      await expect(attest(tampered)).rejects.toThrow(
        /^The bundle was refused: signature: /,
      );
      // A real public-good bundle: its signature verifies, its signer is not trusted.
      await expect(attest(fixtureBundle('v0.3'))).rejects.toThrow(
        'The bundle was refused: kind: the predicate type https://github.com/npm/attestation/tree/main/specs/publish/v0.1 is not one the portal knows',
      );
      await expect(
        attestations.attest(
          artifact,
          { bundle: fixtureBundle('v0.3'), kind: 'sbom' },
          CI,
        ),
      ).rejects.toThrow(
        'The bundle was refused: identity: signed by brian@dehamer.com (issuer https://github.com/login/oauth), but trusted signers are key ci-key',
      );
      await expect(
        attest(provenance(DIGEST, { repository: 'acme/payments-api-evil' })),
      ).rejects.toThrow(
        /^The bundle was refused: provenance: .*github\.com\/acme\/payments-api-evil.*github\.com\/acme\/payments-api/,
      );
      await expect(
        attest(provenance(DIGEST, { ref: 'refs/heads/experiment' })),
      ).rejects.toThrow(
        /^The bundle was refused: provenance: .*refs\/heads\/experiment/,
      );
      await expect(
        attestations.attest(
          artifact,
          { bundle: keyBundle(ciKey, DIGEST, SIGN), kind: 'sbom' },
          CI,
        ),
      ).rejects.toThrow('is signature evidence, not sbom');
      expect(await ledger.evidence.listEvidence(artifact.id)).toEqual([]);
    });

    it('lets only configured callers report, and never kinds that need a bundle', async () => {
      const knex = await setUp(databaseId);
      const artifact = await record(knex);
      const { artifacts } = services(knex);
      await expect(
        artifacts.addEvidence(
          artifact.id,
          { kind: 'signature', result: 'passed' },
          CI,
        ),
      ).rejects.toMatchObject({ name: 'NotAllowedError' });
      await expect(
        artifacts.addEvidence(
          artifact.id,
          { kind: 'unit-test', result: 'passed' },
          ALICE,
        ),
      ).rejects.toThrow(/unit-test/);
      const { evidence } = await artifacts.addEvidence(
        artifact.id,
        { kind: 'unit-test', result: 'passed' },
        CI,
      );
      expect(evidence.reportedBy).toBe('github-actions');
    });
  });

  it('gates on verified evidence, re-verified against the trust in force at promotion time', async () => {
    const knex = await setUp('SQLITE_3');
    const artifact = await record(knex);
    const { artifacts, attestations, ledger } = services(knex);
    await artifacts.addEvidence(
      artifact.id,
      { kind: 'unit-test', result: 'passed' },
      CI,
    );

    // A signature reported before the portal verified signatures.
    await ledger.evidence.addEvidence({
      artifactId: artifact.id,
      kind: 'signature',
      result: 'passed',
      reportedBy: 'github-actions',
      reportedAt: 500,
    });
    const unverified = await promote(knex);
    expect(unverified.refusal).toContain(
      'production requires unit-test, signature (verified) and provenance (verified): no provenance reported; signature was only reported by github-actions, not verified',
    );

    await attestations.attest(
      artifact,
      { bundle: keyBundle(ciKey, DIGEST, SIGN) },
      CI,
    );
    await attestations.attest(artifact, { bundle: provenance(DIGEST) }, CI);
    const passing = await promote(knex);
    expect(passing.refusal).toBeUndefined();
    await services(knex).promotions.abort(
      passing.view.promotion.id,
      'trying tighter trust',
      ALICE,
    );

    // The policy tightened: production trusts only another key now.
    const tightened = await promote(
      knex,
      deliveryConfig({ productionSigners: [{ key: 'other-key' }] }),
    );
    expect(tightened.refusal).toContain(
      'signature failed verification (identity: signed by key ci-key, but trusted signers are key other-key)',
    );

    // The key was rotated out of the configured trust.
    const rotated = await promote(
      knex,
      deliveryConfig({
        keys: [otherKey],
        signers: [{ key: 'other-key' }],
      }),
    );
    expect(rotated.refusal).toMatch(/signature failed verification \(key: /);
  });
});
