import { generateKeyPairSync } from 'node:crypto';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { readDeliveryConfig } from './readDeliveryConfig';

const { publicKey, privateKey } = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
});
const PUBLIC = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PRIVATE = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const GITHUB = 'https://token.actions.githubusercontent.com';

function read(delivery: JsonObject) {
  return readDeliveryConfig(new ConfigReader({ delivery }));
}

const ladder = (production: JsonObject = {}, ladderExtra: JsonObject = {}) => ({
  standard: {
    ...ladderExtra,
    environments: [
      { name: 'dev', requiredEvidence: ['unit-test'] },
      {
        name: 'production',
        requiredEvidence: ['unit-test', { signature: 'verified' }],
        ...production,
      },
    ],
  },
});

describe('delivery.supplyChain', () => {
  it('defaults to the public-good root, a required transparency log and bundles for signatures and provenance', () => {
    const { supplyChain, ladders } = read({});
    expect(supplyChain).toEqual({
      trustedRoot: { source: 'public-good' },
      transparencyLog: 'required',
      keys: [],
      policy: {
        signers: [],
        provenance: { builders: [], sourceFromCatalog: true, refs: [] },
      },
      reporters: new Map(),
      attestationOnly: ['signature', 'provenance'],
      maxBundleBytes: 128 * 1024,
    });
    expect(ladders.get('default')?.environments[2].verifiedEvidence).toEqual(
      [],
    );
  });

  it('reads keys, signers, provenance, reporters, and per-ladder and per-environment policies', () => {
    const config = read({
      supplyChain: {
        trustedRoot: { file: '/etc/sigstore/trusted_root.json' },
        transparencyLog: 'optional',
        keys: [{ id: 'ci', publicKey: PUBLIC, transparencyLog: 'required' }],
        signers: [
          { key: 'ci' },
          {
            issuer: GITHUB,
            subjectFromCatalog: true,
            workflows: ['.github/workflows/build.yaml'],
            refs: ['refs/heads/main', 'refs/tags/v*'],
          },
        ],
        provenance: {
          builders: ['https://github.com/actions/runner/github-hosted'],
        },
        reporters: { 'unit-test': ['github-actions'] },
        attestationOnly: ['signature', 'provenance', 'sbom'],
        maxBundleKb: 64,
      },
      demo: {
        file: 'demo.yaml',
        signingKey: { id: 'ci', privateKey: PRIVATE },
      },
      ladders: ladder(
        {
          supplyChain: {
            signers: [
              {
                issuer: GITHUB,
                subject:
                  'https://github.com/acme/x/.github/workflows/release.yaml@refs/heads/main',
              },
            ],
          },
        },
        { supplyChain: { provenance: { refs: ['refs/heads/main'] } } },
      ),
    });
    const { supplyChain } = config;
    expect(supplyChain.trustedRoot).toEqual({
      source: 'file',
      path: '/etc/sigstore/trusted_root.json',
    });
    expect(supplyChain.keys).toEqual([
      { id: 'ci', publicKey: PUBLIC, transparencyLog: 'required' },
    ]);
    expect(supplyChain.reporters.get('unit-test')).toEqual(['github-actions']);
    expect(supplyChain.maxBundleBytes).toBe(64 * 1024);
    expect(config.demoSigningKey).toEqual({ id: 'ci', privateKey: PRIVATE });
    // Without a demo the key is ignored (app-config.production.yaml turns it off).
    expect(
      read({
        demo: { file: '', signingKey: { id: 'gone', privateKey: PRIVATE } },
      }).demoSigningKey,
    ).toBeUndefined();

    const [dev, production] = config.ladders.get('standard')!.environments;
    expect(dev.attestationPolicy).toEqual({
      signers: supplyChain.policy.signers,
      provenance: {
        builders: ['https://github.com/actions/runner/github-hosted'],
        sourceFromCatalog: true,
        refs: ['refs/heads/main'],
      },
    });
    expect(production.requiredEvidence).toEqual(['unit-test', 'signature']);
    expect(production.verifiedEvidence).toEqual(['signature']);
    expect(production.attestationPolicy.signers).toEqual([
      {
        issuer: GITHUB,
        subject:
          'https://github.com/acme/x/.github/workflows/release.yaml@refs/heads/main',
      },
    ]);
    expect(production.attestationPolicy.provenance.refs).toEqual([
      'refs/heads/main',
    ]);
  });

  it.each<[JsonObject, string]>([
    [
      { supplyChain: { keys: [{ id: 'ci', publicKey: 'not a key' }] } },
      "'delivery.supplyChain.keys[0].publicKey': not a PEM public key",
    ],
    [
      {
        supplyChain: {
          keys: [
            { id: 'ci', publicKey: PUBLIC },
            { id: 'ci', publicKey: PUBLIC },
          ],
        },
      },
      "key 'ci' appears twice",
    ],
    [
      { supplyChain: { signers: [{ key: 'nope' }] } },
      "'nope' is not a key of delivery.supplyChain.keys (none configured)",
    ],
    [
      {
        supplyChain: {
          signers: [{ issuer: GITHUB, subject: 'a', subjectPattern: 'b' }],
        },
      },
      'give exactly one of subject (exact), subjectPattern',
    ],
    [
      { supplyChain: { signers: [{ issuer: GITHUB, subjectPattern: '(' }] } },
      "'delivery.supplyChain.signers[0].subjectPattern'",
    ],
    [
      {
        supplyChain: {
          signers: [
            { issuer: GITHUB, subjectFromCatalog: true, refs: ['main'] },
          ],
        },
      },
      "'main' must be a full ref such as refs/heads/main",
    ],
    [
      { supplyChain: { signers: [{ subject: 'x' }] } },
      'give either key (a configured key id) or issuer',
    ],
    [
      { supplyChain: { reporters: { tests: ['ci'] } } },
      "'tests' is not an evidence kind",
    ],
    [
      { supplyChain: { maxBundleKb: 300 } },
      'must be more than 0 and at most 200',
    ],
    [
      { supplyChain: { transparencyLog: 'sometimes' } },
      "must be required or optional, not 'sometimes'",
    ],
    [
      { supplyChain: { trustedRoot: 'private' } },
      'use public-good, or { file: path/to/trusted_root.json }',
    ],
    [
      { ladders: ladder({ requiredEvidence: [{ signature: 'maybe' }] }) },
      'give a kind (unit-test) or a kind with how it must be shown (signature: verified)',
    ],
    [
      {
        ladders: ladder({ supplyChain: { signers: [{ key: 'x' }], extra: 1 } }),
      },
      'unknown key',
    ],
    [
      {
        supplyChain: { keys: [{ id: 'ci', publicKey: PUBLIC }] },
        demo: {
          file: 'demo.yaml',
          signingKey: { id: 'other', privateKey: PRIVATE },
        },
      },
      "'other' is not a key of delivery.supplyChain.keys, so its attestations would be refused",
    ],
  ])('refuses %j', (delivery, message) => {
    expect(() => read(delivery)).toThrow(message);
  });
});
