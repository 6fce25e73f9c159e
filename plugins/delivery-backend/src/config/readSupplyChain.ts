import { createPublicKey } from 'node:crypto';
import { Config } from '@backstage/config';
import {
  EVIDENCE_KINDS,
  EvidenceKind,
} from '@backstage-delivery/plugin-delivery-common';
import {
  anchoredPattern,
  AttestationPolicy,
  ProvenancePolicy,
  SignerRule,
} from '../domain/attestations';
import { checkKeys, invalid } from './configReader';
import type { SupplyChainSettings, TrustedKey } from './types';

/** Reading `delivery.supplyChain` and the `supplyChain` of ladders and environments. */

const DEFAULT_ATTESTATION_ONLY: EvidenceKind[] = ['signature', 'provenance'];
const DEFAULT_MAX_BUNDLE_KB = 128;

function evidenceKind(value: string, key: string): EvidenceKind {
  if (!(EVIDENCE_KINDS as readonly string[]).includes(value)) {
    throw invalid(
      key,
      `'${value}' is not an evidence kind; use ${EVIDENCE_KINDS.join(', ')}`,
    );
  }
  return value as EvidenceKind;
}

function level(
  config: Config | undefined,
  key: string,
  path: string,
  fallback: 'required' | 'optional',
) {
  const value = config?.getOptionalString(key) ?? fallback;
  if (value !== 'required' && value !== 'optional') {
    throw invalid(
      `${path}.${key}`,
      `must be required or optional, not '${value}'`,
    );
  }
  return value;
}

function refs(config: Config, key: string, path: string): string[] {
  return (config.getOptionalStringArray(key) ?? []).map((ref, i) => {
    if (!ref.startsWith('refs/') || ref.slice(0, -1).includes('*')) {
      throw invalid(
        `${path}.${key}[${i}]`,
        `'${ref}' must be a full ref such as refs/heads/main, with at most a trailing * (refs/tags/v*)`,
      );
    }
    return ref;
  });
}

function readSigner(config: Config, path: string, keys: string[]): SignerRule {
  checkKeys(config, path, [
    'key',
    'issuer',
    'subject',
    'subjectPattern',
    'subjectFromCatalog',
    'workflows',
    'refs',
  ]);
  const key = config.getOptionalString('key');
  const issuer = config.getOptionalString('issuer');
  if (!key === !issuer) {
    throw invalid(
      path,
      'give either key (a configured key id) or issuer (an OIDC issuer URL)',
    );
  }
  if (key) {
    if (config.keys().length > 1) {
      throw invalid(path, 'a key signer takes no other settings');
    }
    if (!keys.includes(key)) {
      throw invalid(
        `${path}.key`,
        `'${key}' is not a key of delivery.supplyChain.keys (${
          keys.join(', ') || 'none configured'
        })`,
      );
    }
    return { key };
  }
  const subject = config.getOptionalString('subject');
  const subjectPattern = config.getOptionalString('subjectPattern');
  const fromCatalog = config.getOptionalBoolean('subjectFromCatalog') ?? false;
  if (
    [subject, subjectPattern, fromCatalog || undefined].filter(Boolean)
      .length !== 1
  ) {
    throw invalid(
      path,
      'give exactly one of subject (exact), subjectPattern (a regular expression, always anchored) or subjectFromCatalog: true',
    );
  }
  if (!fromCatalog && (config.has('workflows') || config.has('refs'))) {
    throw invalid(path, 'workflows and refs go with subjectFromCatalog');
  }
  if (subject) return { issuer: issuer!, subject };
  if (subjectPattern) {
    try {
      anchoredPattern(subjectPattern);
    } catch (error) {
      throw invalid(`${path}.subjectPattern`, (error as Error).message);
    }
    return { issuer: issuer!, subjectPattern };
  }
  return {
    issuer: issuer!,
    subjectFromCatalog: true,
    workflows: config.getOptionalStringArray('workflows') ?? [],
    refs: refs(config, 'refs', path),
  };
}

function readProvenance(
  config: Config | undefined,
  path: string,
  fallback: ProvenancePolicy,
): ProvenancePolicy {
  if (!config) return fallback;
  checkKeys(config, path, ['builders', 'sourceFromCatalog', 'refs']);
  return {
    builders: config.getOptionalStringArray('builders') ?? fallback.builders,
    sourceFromCatalog:
      config.getOptionalBoolean('sourceFromCatalog') ??
      fallback.sourceFromCatalog,
    refs: config.has('refs') ? refs(config, 'refs', path) : fallback.refs,
  };
}

/**
 * An attestation policy: `signers` and `provenance` replace the fallback's
 * (the ladder's, then `delivery.supplyChain`'s) where given.
 */
export function readAttestationPolicy(
  config: Config | undefined,
  path: string,
  fallback: AttestationPolicy,
  keys: string[],
): AttestationPolicy {
  if (!config) return fallback;
  checkKeys(config, path, ['signers', 'provenance']);
  return policyParts(config, path, fallback, keys);
}

function policyParts(
  config: Config,
  path: string,
  fallback: AttestationPolicy,
  keys: string[],
): AttestationPolicy {
  return {
    signers: config.has('signers')
      ? config
          .getConfigArray('signers')
          .map((s, i) => readSigner(s, `${path}.signers[${i}]`, keys))
      : fallback.signers,
    provenance: readProvenance(
      config.getOptionalConfig('provenance'),
      `${path}.provenance`,
      fallback.provenance,
    ),
  };
}

function readKey(config: Config, path: string): TrustedKey {
  checkKeys(config, path, ['id', 'publicKey', 'transparencyLog']);
  const publicKey = config.getString('publicKey');
  try {
    createPublicKey(publicKey);
  } catch (error) {
    throw invalid(
      `${path}.publicKey`,
      `not a PEM public key (${(error as Error).message})`,
    );
  }
  return {
    id: config.getString('id'),
    publicKey,
    transparencyLog: level(config, 'transparencyLog', path, 'optional'),
  };
}

export function readSupplyChain(
  config: Config | undefined,
): SupplyChainSettings {
  const path = 'delivery.supplyChain';
  checkKeys(config, path, [
    'trustedRoot',
    'transparencyLog',
    'keys',
    'signers',
    'provenance',
    'reporters',
    'attestationOnly',
    'maxBundleKb',
  ]);
  const keys = (config?.getOptionalConfigArray('keys') ?? []).map((k, i) =>
    readKey(k, `${path}.keys[${i}]`),
  );
  const ids = keys.map(k => k.id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) {
      throw invalid(`${path}.keys[${i}].id`, `key '${id}' appears twice`);
    }
  });

  const root = config?.getOptional('trustedRoot') ?? 'public-good';
  let trustedRoot: SupplyChainSettings['trustedRoot'];
  if (root === 'public-good') {
    trustedRoot = { source: 'public-good' };
  } else {
    const file =
      typeof root === 'object'
        ? config!.getOptionalConfig('trustedRoot')
        : undefined;
    checkKeys(file, `${path}.trustedRoot`, ['file']);
    const filePath = file?.getOptionalString('file');
    if (!filePath) {
      throw invalid(
        `${path}.trustedRoot`,
        'use public-good, or { file: path/to/trusted_root.json } for a private Sigstore',
      );
    }
    trustedRoot = { source: 'file', path: filePath };
  }

  const fallback: AttestationPolicy = {
    signers: ids.map(key => ({ key })),
    provenance: { builders: [], sourceFromCatalog: true, refs: [] },
  };
  const policy = config ? policyParts(config, path, fallback, ids) : fallback;

  const reporters = new Map<EvidenceKind, string[]>();
  const reportersConfig = config?.getOptionalConfig('reporters');
  for (const kind of reportersConfig?.keys() ?? []) {
    reporters.set(
      evidenceKind(kind, `${path}.reporters.${kind}`),
      reportersConfig!.getStringArray(kind),
    );
  }
  const attestationOnly = config?.has('attestationOnly')
    ? config
        .getStringArray('attestationOnly')
        .map((k, i) => evidenceKind(k, `${path}.attestationOnly[${i}]`))
    : DEFAULT_ATTESTATION_ONLY;

  const maxBundleKb =
    config?.getOptionalNumber('maxBundleKb') ?? DEFAULT_MAX_BUNDLE_KB;
  if (!(maxBundleKb > 0 && maxBundleKb <= 200)) {
    throw invalid(
      `${path}.maxBundleKb`,
      `must be more than 0 and at most 200 (the API's body limit is 256 kB), got ${maxBundleKb}`,
    );
  }

  return {
    trustedRoot,
    transparencyLog: level(config, 'transparencyLog', path, 'required'),
    keys,
    policy,
    reporters,
    attestationOnly,
    maxBundleBytes: maxBundleKb * 1024,
  };
}

/**
 * `requiredEvidence`: kinds, or `{ kind: verified }` for kinds that count
 * only when the portal verified them.
 */
export function readRequiredEvidence(
  config: Config,
  path: string,
): { requiredEvidence: EvidenceKind[]; verifiedEvidence: EvidenceKind[] } {
  const raw = config.getOptional('requiredEvidence') ?? [];
  if (!Array.isArray(raw)) {
    throw invalid(`${path}.requiredEvidence`, 'must be a list');
  }
  const requiredEvidence: EvidenceKind[] = [];
  const verifiedEvidence: EvidenceKind[] = [];
  raw.forEach((item, i) => {
    const key = `${path}.requiredEvidence[${i}]`;
    if (typeof item === 'string') {
      requiredEvidence.push(evidenceKind(item, key));
      return;
    }
    const entries =
      typeof item === 'object' && item !== null ? Object.entries(item) : [];
    if (
      entries.length !== 1 ||
      !['verified', 'reported'].includes(String(entries[0][1]))
    ) {
      throw invalid(
        key,
        'give a kind (unit-test) or a kind with how it must be shown (signature: verified)',
      );
    }
    const kind = evidenceKind(entries[0][0], key);
    requiredEvidence.push(kind);
    if (entries[0][1] === 'verified') verifiedEvidence.push(kind);
  });
  return { requiredEvidence, verifiedEvidence };
}
