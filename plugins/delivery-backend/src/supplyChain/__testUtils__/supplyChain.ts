import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SupplyChainSettings } from '../../config/types';
import { inTotoStatement, signWithKey } from '../keyBundles';

/** A real public-good bundle from sigstore-js's tests (see __fixtures__/README.md). */
export function fixtureBundle(version: 'v0.1' | 'v0.2' | 'v0.3'): any {
  const file = {
    'v0.1': 'bundleV01-dsse-with-proof.sigstore',
    'v0.2': 'bundleV02-dsse.sigstore',
    'v0.3': 'bundleV03-dsse.sigstore',
  }[version];
  return JSON.parse(
    readFileSync(join(__dirname, '../__fixtures__', file), 'utf8'),
  );
}

/** The fixtures' signer: an e-mail identity from GitHub's OAuth issuer. */
export const FIXTURE_SIGNER = {
  issuer: 'https://github.com/login/oauth',
  subject: 'brian@dehamer.com',
};

/** An ECDSA P-256 key pair for cosign-style key signing. */
export function testKey(id = 'ci-key'): {
  id: string;
  privateKey: KeyObject;
  publicKey: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
  });
  return {
    id,
    privateKey,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Settings trusting the public-good root and the given keys. */
export function settingsWith(
  keys: Array<{ id: string; publicKey: string }>,
  overrides: Partial<SupplyChainSettings> = {},
): SupplyChainSettings {
  return {
    trustedRoot: { source: 'public-good' },
    transparencyLog: 'required',
    keys: keys.map(k => ({
      id: k.id,
      publicKey: k.publicKey,
      transparencyLog: 'optional',
    })),
    policy: {
      signers: keys.map(k => ({ key: k.id })),
      provenance: { builders: [], sourceFromCatalog: false, refs: [] },
    },
    reporters: new Map(),
    attestationOnly: ['signature', 'provenance'],
    maxBundleBytes: 128 * 1024,
    ...overrides,
  };
}

/** A key-signed DSSE bundle whose subject is `digest`. */
export function keyBundle(
  key: { id: string; privateKey: KeyObject },
  digest: string,
  predicateType = 'https://sigstore.dev/cosign/sign/v1',
  predicate: unknown = {},
) {
  return signWithKey(
    inTotoStatement({
      name: 'ghcr.io/acme/shop',
      digest,
      predicateType,
      predicate,
    }),
    key,
  );
}
