import { createHash, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttestationRefusedError, SigstoreVerifier } from './SigstoreVerifier';
import { publicGoodTrustedRoot } from './trust';
import {
  FIXTURE_SIGNER,
  fixtureBundle,
  keyBundle,
  settingsWith,
  testKey,
} from './__testUtils__/supplyChain';

const DIGEST = `sha256:${'c0ffee12'.repeat(8)}`;

function refusal(fn: () => unknown): AttestationRefusedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AttestationRefusedError) return error;
    throw error;
  }
  throw new Error('expected the bundle to be refused');
}

/** A trusted root file: the public-good one, changed by `edit`. */
function rootFile(edit: (root: any) => any): string {
  const dir = mkdtempSync(join(tmpdir(), 'trusted-root-'));
  const file = join(dir, 'trusted_root.json');
  writeFileSync(file, JSON.stringify(edit(publicGoodTrustedRoot())));
  return file;
}

describe('SigstoreVerifier', () => {
  const key = testKey();
  const verifier = new SigstoreVerifier(settingsWith([key]));

  it.each(['v0.1', 'v0.2', 'v0.3'] as const)(
    'verifies a public-good bundle %s offline and says who signed it and when',
    version => {
      const { facts } = verifier.verify(fixtureBundle(version));
      expect(facts.signer).toEqual(
        expect.objectContaining({ type: 'certificate', ...FIXTURE_SIGNER }),
      );
      expect(facts.content).toBe('dsse');
      expect(facts.predicateType).toBe(
        'https://github.com/npm/attestation/tree/main/specs/publish/v0.1',
      );
      expect(facts.subjects).toEqual([
        {
          name: 'pkg:npm/sigstore@1.0.0',
          digest: { sha512: expect.stringMatching(/^7bea9f6e/) },
        },
      ]);
      expect(facts.transparencyLog).toEqual({
        logIndex: '27246114',
        logId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=',
        integratedTime: 1689177043000,
      });
      expect(facts.mediaType).toContain(version.slice(1));
      expect(facts.bundleDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    },
  );

  it('refuses a bundle whose payload changed by one byte', () => {
    const bundle = fixtureBundle('v0.2');
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    payload[40] ^= 1;
    bundle.dsseEnvelope.payload = payload.toString('base64');
    const error = refusal(() => verifier.verify(bundle));
    expect(error.check).toBe('signature');
    expect(error.message).toMatch(/does not match what was signed/);
  });

  it('refuses a keyless bundle without a transparency-log entry when the log is required', () => {
    const bundle = fixtureBundle('v0.3');
    bundle.verificationMaterial.tlogEntries = [];
    const error = refusal(() => verifier.verify(bundle));
    expect(error.check).toBe('transparency-log');
    expect(error.message).toMatch(
      /no transparency-log entry.*delivery\.supplyChain\.transparencyLog/,
    );

    // Optional: then a timestamp must still prove when it was signed.
    const lenient = new SigstoreVerifier(
      settingsWith([key], { transparencyLog: 'optional' }),
    );
    expect(refusal(() => lenient.verify(bundle)).check).toBe('timestamp');
  });

  it('refuses a bundle whose inclusion proof and promise were removed', () => {
    const bundle = fixtureBundle('v0.1');
    delete bundle.verificationMaterial.tlogEntries[0].inclusionProof;
    delete bundle.verificationMaterial.tlogEntries[0].inclusionPromise;
    expect(refusal(() => verifier.verify(bundle)).check).toBe('bundle');
  });

  it('refuses a certificate that does not chain to a trusted authority, or whose authority had expired', () => {
    const untrusted = new SigstoreVerifier(
      settingsWith([key], {
        trustedRoot: {
          source: 'file',
          path: rootFile(root => ({ ...root, certificateAuthorities: [] })),
        },
      }),
    );
    const error = refusal(() => untrusted.verify(fixtureBundle('v0.3')));
    expect(error.check).toBe('certificate');
    expect(error.message).toMatch(
      /not issued by a certificate authority of the trusted root that was valid when it signed \(2023-07-12T15:50:43\.000Z\)/,
    );

    const expired = new SigstoreVerifier(
      settingsWith([key], {
        trustedRoot: {
          source: 'file',
          path: rootFile(root => ({
            ...root,
            certificateAuthorities: root.certificateAuthorities.map(
              (ca: any) => ({
                ...ca,
                validFor: {
                  start: '2020-01-01T00:00:00Z',
                  end: '2021-01-01T00:00:00Z',
                },
              }),
            ),
          })),
        },
      }),
    );
    expect(refusal(() => expired.verify(fixtureBundle('v0.3'))).check).toBe(
      'certificate',
    );
  });

  it('verifies a bundle signed with a configured key, and refuses it tampered or signed by another key', () => {
    const bundle: any = keyBundle(key, DIGEST);
    const { facts } = verifier.verify(bundle);
    expect(facts.signer).toEqual({ type: 'key', keyId: 'ci-key' });
    expect(facts.subjects[0].digest.sha256).toBe(DIGEST.slice(7));
    expect(facts.transparencyLog).toBeUndefined();

    const statement = JSON.parse(
      Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString(),
    );
    statement.subject[0].digest.sha256 = 'ab'.repeat(32);
    const tampered = {
      ...bundle,
      dsseEnvelope: {
        ...bundle.dsseEnvelope,
        payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      },
    };
    expect(refusal(() => verifier.verify(tampered)).check).toBe('signature');

    const stranger = keyBundle({ ...testKey('ci-key'), id: 'ci-key' }, DIGEST);
    expect(refusal(() => verifier.verify(stranger)).check).toBe('signature');

    const unknown = keyBundle(testKey('laptop'), DIGEST);
    const error = refusal(() => verifier.verify(unknown));
    expect(error.check).toBe('key');
    expect(error.message).toMatch(
      /'laptop', which is not one of delivery\.supplyChain\.keys \(ci-key\)/,
    );
  });

  it('refuses a key-signed bundle without a log entry when that key requires one', () => {
    const settings = settingsWith([key]);
    settings.keys[0].transparencyLog = 'required';
    const strict = new SigstoreVerifier(settings);
    expect(refusal(() => strict.verify(keyBundle(key, DIGEST))).check).toBe(
      'transparency-log',
    );
  });

  it('verifies a message signature over the simple-signing payload that names the image', () => {
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': 'ghcr.io/acme/shop' },
          image: { 'docker-manifest-digest': DIGEST },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        publicKey: { hint: key.id },
        tlogEntries: [],
      },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: createHash('sha256').update(payload).digest('base64'),
        },
        signature: sign('sha256', payload, key.privateKey).toString('base64'),
      },
    };
    const { facts } = verifier.verify(bundle, payload);
    expect(facts.content).toBe('message-signature');
    expect(facts.subjects).toEqual([
      { name: 'image', digest: { sha256: DIGEST.slice(7) } },
    ]);

    expect(refusal(() => verifier.verify(bundle)).message).toMatch(
      /needs the bytes it signs/,
    );
    const other = Buffer.from(payload.toString().replace('acme', 'evil'));
    expect(refusal(() => verifier.verify(bundle, other)).check).toBe(
      'signature',
    );
  });

  it('refuses what is not a bundle, naming the fields', () => {
    const error = refusal(() =>
      verifier.verify({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      }),
    );
    expect(error.check).toBe('bundle');
    expect(error.message).toMatch(
      /not a Sigstore bundle.*verificationMaterial/,
    );
  });
});
