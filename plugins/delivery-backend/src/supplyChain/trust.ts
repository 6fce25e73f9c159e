import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, TrustMaterial } from '@sigstore/verify';
import type { SupplyChainSettings } from '../config/types';

/** Where `@sigstore/tuf` keeps the public-good instance's TUF seed. */
const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

/** A bundle names a key hint that is not configured. */
export class UnknownKeyError extends Error {
  constructor(readonly hint: string, known: string[]) {
    super(
      `signed with key '${hint}', which is not one of delivery.supplyChain.keys (${
        known.join(', ') || 'none configured'
      })`,
    );
  }
}

/**
 * The public-good trusted root as embedded in `@sigstore/tuf` (its
 * seeds.json), read offline: Fulcio's certificate authorities, Rekor's and the
 * CT logs' keys, the timestamp authorities.
 */
export function publicGoodTrustedRoot(): unknown {
  const seeds = JSON.parse(
    readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8'),
  );
  const target = seeds?.[PUBLIC_GOOD_MIRROR]?.targets?.['trusted_root.json'];
  if (typeof target !== 'string') {
    throw new Error(
      `@sigstore/tuf's seeds.json has no trusted_root.json for ${PUBLIC_GOOD_MIRROR}`,
    );
  }
  return JSON.parse(Buffer.from(target, 'base64').toString('utf8'));
}

function readTrustedRoot(settings: SupplyChainSettings): TrustedRoot {
  const root = settings.trustedRoot;
  if (root.source === 'public-good') {
    return TrustedRoot.fromJSON(publicGoodTrustedRoot());
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(root.path, 'utf8'));
  } catch (error) {
    throw new Error(
      `delivery.supplyChain.trustedRoot.file: cannot read ${
        root.path
      } as JSON (${(error as Error).message})`,
    );
  }
  const parsed = TrustedRoot.fromJSON(json);
  if (parsed.certificateAuthorities.length === 0 && parsed.tlogs.length === 0) {
    throw new Error(
      `delivery.supplyChain.trustedRoot.file: ${root.path} names no certificate authority and no transparency log; is it a Sigstore trusted_root.json?`,
    );
  }
  return parsed;
}

/** The trust material for keyless and key-based bundles, built once from config. */
export function trustMaterialOf(settings: SupplyChainSettings): TrustMaterial {
  const keys = new Map(
    settings.keys.map(k => [k.id, createPublicKey(k.publicKey)]),
  );
  return toTrustMaterial(readTrustedRoot(settings), hint => {
    const publicKey = keys.get(hint);
    if (!publicKey) {
      throw new UnknownKeyError(hint, [...keys.keys()]);
    }
    // Configured keys do not expire; remove a key from config to revoke it.
    return { publicKey, validFor: () => true };
  });
}
