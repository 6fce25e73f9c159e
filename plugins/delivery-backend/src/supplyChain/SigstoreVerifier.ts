import { createHash } from 'node:crypto';
import { Bundle, bundleFromJSON } from '@sigstore/bundle';
import {
  Signer,
  toSignedEntity,
  TrustMaterial,
  VerificationError,
  Verifier,
} from '@sigstore/verify';
import type { SupplyChainSettings } from '../config/types';
import type {
  AttestationCheck,
  AttestationFacts,
  SignerFacts,
} from '../domain/attestations';
import {
  provenanceFacts,
  simpleSigningDigest,
  statementSubjects,
  Subject,
} from '../domain/predicates';
import { trustMaterialOf, UnknownKeyError } from './trust';

const IN_TOTO = 'application/vnd.in-toto+json';

/** Fulcio's certificate extensions for CI identities (OID 1.3.6.1.4.1.57264.1.x). */
const FULCIO = '1.3.6.1.4.1.57264.1.';
const EXTENSIONS = {
  sourceRepository: `${FULCIO}12`,
  sourceCommit: `${FULCIO}13`,
  sourceRef: `${FULCIO}14`,
  runUrl: `${FULCIO}21`,
} as const;

/** A bundle that did not verify: which check, and what it found. */
export class AttestationRefusedError extends Error {
  constructor(readonly check: AttestationCheck, message: string) {
    super(`${check}: ${message}`);
  }
}

/** What a bundle proves once its signature verified, before any policy. */
export interface VerifiedBundle {
  facts: AttestationFacts;
  /** The in-toto predicate, for the facts a kind needs (vulnerability counts). */
  predicate?: unknown;
  /** The bundle as stored: compact JSON, whose sha256 is `facts.bundleDigest`. */
  text: string;
}

const VERIFICATION_CHECKS: Record<string, AttestationCheck> = {
  SIGNATURE_ERROR: 'signature',
  TLOG_BODY_ERROR: 'signature',
  CERTIFICATE_ERROR: 'certificate',
  PUBLIC_KEY_ERROR: 'key',
  TIMESTAMP_ERROR: 'timestamp',
};

/** A DER UTF8String (Fulcio v2 extensions) or raw ASCII (v1) as text. */
function extensionText(value: Buffer): string {
  if (value[0] !== 0x0c) return value.toString('utf8');
  let length = value[1];
  let start = 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = value.subarray(2, 2 + bytes).reduce((n, b) => n * 256 + b, 0);
    start = 2 + bytes;
  }
  return value.subarray(start, start + length).toString('utf8');
}

function signerFacts(bundle: Bundle, signer: Signer): SignerFacts {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'publicKey') {
    return { type: 'key', keyId: material.publicKey.hint };
  }
  const identity = signer.identity ?? {};
  const extension = (oid: string) => {
    const found = identity.oids?.find(o => o.oid?.id.join('.') === oid);
    return found ? extensionText(Buffer.from(found.value)) : undefined;
  };
  return {
    type: 'certificate',
    issuer: identity.extensions?.issuer,
    subject: identity.subjectAlternativeName,
    sourceRepository: extension(EXTENSIONS.sourceRepository),
    sourceCommit: extension(EXTENSIONS.sourceCommit),
    sourceRef: extension(EXTENSIONS.sourceRef),
    runUrl: extension(EXTENSIONS.runUrl),
  };
}

/**
 * Verifies Sigstore bundles (v0.1–v0.3) offline with Sigstore's own
 * libraries: the signature over the DSSE envelope or the signed payload, the
 * certificate chain to a trusted Fulcio (keyless) or a configured key, the
 * signed certificate timestamps, and the transparency-log entry with its
 * inclusion proof or promise. Policies (who may sign, which subject,
 * which builder) are judged afterwards, in domain/attestations.
 */
export class SigstoreVerifier {
  private readonly keyless: Verifier;
  private readonly byKey: Map<string, Verifier>;
  private readonly tlogRequired: Map<string, boolean>;

  constructor(settings: SupplyChainSettings, trust?: TrustMaterial) {
    const material = trust ?? trustMaterialOf(settings);
    const tlogRequired = settings.transparencyLog === 'required';
    // Keyless certificates live minutes: a timestamp (the log's integrated
    // time, or a timestamp authority's) must show they were valid then.
    this.keyless = new Verifier(material, {
      tlogThreshold: tlogRequired ? 1 : 0,
      ctlogThreshold: 1,
      timestampThreshold: 1,
    });
    this.tlogRequired = new Map([
      ['', tlogRequired],
      ...settings.keys.map(
        k => [k.id, k.transparencyLog === 'required'] as [string, boolean],
      ),
    ]);
    this.byKey = new Map(
      settings.keys.map(k => [
        k.id,
        new Verifier(material, {
          tlogThreshold: k.transparencyLog === 'required' ? 1 : 0,
          ctlogThreshold: 0,
          timestampThreshold: 0,
        }),
      ]),
    );
  }

  verify(json: unknown, signedPayload?: Buffer): VerifiedBundle {
    const text = JSON.stringify(json);
    const bundle = parseBundle(json);
    const material = bundle.verificationMaterial.content;
    let verifier = this.keyless;
    let keyId = '';
    if (material.$case === 'publicKey') {
      keyId = material.publicKey.hint;
      const byKey = this.byKey.get(material.publicKey.hint);
      if (!byKey) {
        throw new AttestationRefusedError(
          'key',
          new UnknownKeyError(material.publicKey.hint, [
            ...this.byKey.keys(),
          ]).message,
        );
      }
      verifier = byKey;
    }
    if (
      this.tlogRequired.get(keyId) &&
      bundle.verificationMaterial.tlogEntries.length === 0
    ) {
      throw new AttestationRefusedError(
        'transparency-log',
        `the bundle has no transparency-log entry, and ${
          keyId
            ? `key ${keyId} requires one (delivery.supplyChain.keys[].transparencyLog)`
            : 'keyless signatures require one (delivery.supplyChain.transparencyLog)'
        }`,
      );
    }

    const content = bundle.content;
    if (content.$case === 'messageSignature' && !signedPayload) {
      throw new AttestationRefusedError(
        'bundle',
        "a message signature needs the bytes it signs: send payload, the base64 of cosign's simple-signing JSON",
      );
    }
    if (content.$case === 'dsseEnvelope' && signedPayload) {
      throw new AttestationRefusedError(
        'bundle',
        'a DSSE attestation carries its own payload; send payload only with a message signature',
      );
    }

    // The signature first: nothing in the content is read before it verified.
    let signer: Signer;
    try {
      signer = verifier.verify(toSignedEntity(bundle, signedPayload));
    } catch (error) {
      throw refusalOf(error, bundle);
    }

    let subjects: Subject[];
    let statement: any;
    if (content.$case === 'messageSignature') {
      subjects = messageSubjects(content.messageSignature, signedPayload!);
    } else {
      statement = inTotoStatement(content.dsseEnvelope);
      const parsed = statementSubjects(statement);
      if ('problem' in parsed) {
        throw new AttestationRefusedError('bundle', parsed.problem);
      }
      subjects = parsed.subjects;
    }

    const tlog = bundle.verificationMaterial.tlogEntries[0];
    const predicateType =
      typeof statement?.predicateType === 'string'
        ? statement.predicateType
        : undefined;
    return {
      text,
      predicate: statement?.predicate,
      facts: {
        mediaType: bundle.mediaType,
        bundleDigest: `sha256:${createHash('sha256')
          .update(text)
          .digest('hex')}`,
        content:
          content.$case === 'dsseEnvelope' ? 'dsse' : 'message-signature',
        signer: signerFacts(bundle, signer),
        predicateType,
        subjects,
        provenance: predicateType
          ? provenanceFacts(predicateType, statement.predicate)
          : undefined,
        transparencyLog: tlog
          ? {
              logIndex: tlog.logIndex,
              logId: Buffer.from(tlog.logId?.keyId ?? []).toString('base64'),
              integratedTime:
                tlog.integratedTime && tlog.integratedTime !== '0'
                  ? Number(tlog.integratedTime) * 1000
                  : undefined,
            }
          : undefined,
        signedTimestamps:
          bundle.verificationMaterial.timestampVerificationData
            ?.rfc3161Timestamps.length ?? 0,
      },
    };
  }
}

function parseBundle(json: unknown): Bundle {
  try {
    return bundleFromJSON(json);
  } catch (error) {
    const fields = (error as { fields?: string[] }).fields;
    throw new AttestationRefusedError(
      'bundle',
      `not a Sigstore bundle (v0.1 to v0.3)${
        fields?.length ? `: missing or invalid ${fields.join(', ')}` : ''
      }`,
    );
  }
}

function inTotoStatement(envelope: { payload: Buffer; payloadType: string }) {
  if (envelope.payloadType !== IN_TOTO) {
    throw new AttestationRefusedError(
      'bundle',
      `the DSSE payload is ${envelope.payloadType}, not an in-toto statement (${IN_TOTO})`,
    );
  }
  try {
    return JSON.parse(envelope.payload.toString('utf8'));
  } catch {
    throw new AttestationRefusedError('bundle', 'the DSSE payload is not JSON');
  }
}

/**
 * A message signature over an image signs cosign's "simple signing" payload,
 * which names the image digest: the caller sends those bytes.
 */
function messageSubjects(
  signature: { messageDigest?: { digest: Buffer } },
  payload: Buffer,
): Subject[] {
  const digest = createHash('sha256').update(payload).digest();
  if (!signature.messageDigest?.digest.equals(digest)) {
    throw new AttestationRefusedError(
      'signature',
      "the payload's sha256 is not the message digest the bundle signs",
    );
  }
  const image = simpleSigningDigest(payload);
  if (!image?.startsWith('sha256:')) {
    throw new AttestationRefusedError(
      'bundle',
      "the payload is not cosign's simple-signing JSON naming critical.image.docker-manifest-digest",
    );
  }
  return [{ name: 'image', digest: { sha256: image.slice('sha256:'.length) } }];
}

function refusalOf(error: unknown, bundle: Bundle): AttestationRefusedError {
  if (error instanceof AttestationRefusedError) return error;
  if (error instanceof UnknownKeyError) {
    return new AttestationRefusedError('key', error.message);
  }
  if (error instanceof VerificationError) {
    const check =
      VERIFICATION_CHECKS[error.code] ??
      (error.code.startsWith('TLOG') ? 'transparency-log' : 'signature');
    return new AttestationRefusedError(check, describe(error, bundle));
  }
  throw error;
}

/** The library's finding, with what it means for the person who sent the bundle. */
function describe(error: VerificationError, bundle: Bundle): string {
  const cause = error.cause?.message ? ` (${error.cause.message})` : '';
  const found = `${error.message}${cause}`;
  const signedAt = bundle.verificationMaterial.tlogEntries
    .map(e => Number(e.integratedTime) * 1000)
    .find(t => t > 0);
  switch (error.code) {
    case 'TLOG_BODY_ERROR':
      return `the content does not match what was signed and logged: ${found}`;
    case 'CERTIFICATE_ERROR':
      return `${found}: the certificate was not issued by a certificate authority of the trusted root${
        signedAt
          ? ` that was valid when it signed (${new Date(
              signedAt,
            ).toISOString()})`
          : ''
      }`;
    case 'TIMESTAMP_ERROR':
      return `${found}: a keyless signature needs a transparency-log entry or a timestamp authority's signed timestamp to show its short-lived certificate was valid`;
    default:
      return found;
  }
}
