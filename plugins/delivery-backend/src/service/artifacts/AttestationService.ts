import { Entity } from '@backstage/catalog-model';
import { CustomErrorBase, InputError } from '@backstage/errors';
import { EvidenceKind } from '@backstage-delivery/plugin-delivery-common';
import type {
  EnvironmentConfig,
  SupplyChainSettings,
} from '../../config/types';
import { Ledger } from '../../database/Ledger';
import { StoredAttestation } from '../../database/EvidenceStore';
import { isUniqueViolation } from '../../database/util';
import {
  AttestationOutcome,
  AttestationPolicy,
  judgeAttestation,
} from '../../domain/attestations';
import type { JudgedAttestation } from '../../domain/gates';
import {
  kindOfPredicate,
  PREDICATE_KINDS,
  repositoryOfAnnotations,
  vulnerabilityCounts,
} from '../../domain/predicates';
import { Actor, Artifact, Evidence } from '../../domain/types';
import {
  AttestationRefusedError,
  SigstoreVerifier,
  VerifiedBundle,
} from '../../supplyChain/SigstoreVerifier';
import { ComponentResolver } from '../components';
import { UnprocessableEntityError } from '../errors';

/** A bundle larger than `delivery.supplyChain.maxBundleKb` (HTTP 413). */
export class BundleTooLargeError extends CustomErrorBase {
  name = 'BundleTooLargeError' as const;
  statusCode = 413;
}

/** How many bundles' signature checks are remembered between gate evaluations. */
const VERIFIED_CACHE_SIZE = 2_000;

export interface AttestationInput {
  /** The Sigstore bundle, as JSON. */
  bundle: unknown;
  /** Base64 of the bytes a message signature signs. */
  payload?: string;
  /** The evidence kind, for predicate types the portal does not know. */
  kind?: EvidenceKind;
  url?: string;
}

/** What the gates read about an artifact's evidence, for one environment. */
export interface GateEvidenceSource {
  forGate(
    artifact: Artifact,
    environment: EnvironmentConfig | undefined,
    /** The component's entity, when the caller already resolved it. */
    entity?: Entity,
    /** The artifact's latest evidence, when the caller already read it. */
    latest?: Evidence[],
  ): Promise<{ evidence: Evidence[]; attestations: JudgedAttestation[] }>;
}

function distinctPolicies(environments: EnvironmentConfig[]) {
  const seen = new Set<string>();
  const result: Array<{ env: EnvironmentConfig; policy: AttestationPolicy }> =
    [];
  for (const env of environments) {
    const key = JSON.stringify(env.attestationPolicy);
    if (!seen.has(key)) {
      seen.add(key);
      result.push({ env, policy: env.attestationPolicy });
    }
  }
  return result;
}

function needsCatalog(policy: AttestationPolicy): boolean {
  return (
    policy.provenance.sourceFromCatalog ||
    policy.signers.some(s => 'subjectFromCatalog' in s)
  );
}

/**
 * Verified evidence: Sigstore bundles checked by the backend (signature,
 * certificate chain or key, transparency log), bound to the artifact's
 * digest and judged against the attestation policies of the component's
 * ladder; and, for the gates, the same bundles judged again against one
 * environment's policy and today's trust.
 */
export class AttestationService implements GateEvidenceSource {
  private readonly verified = new Map<
    number,
    VerifiedBundle | AttestationRefusedError
  >();

  constructor(
    private readonly options: {
      ledger: Ledger;
      components: ComponentResolver;
      verifier: SigstoreVerifier;
      settings: SupplyChainSettings;
      clock: () => number;
    },
  ) {}

  /**
   * Verifies a bundle and records it as verified evidence of the artifact;
   * the same bundle again answers the evidence already recorded. A bundle
   * that fails any check is refused (422) with the check and what it found,
   * and nothing is stored.
   */
  async attest(
    artifact: Artifact,
    input: AttestationInput,
    actor: Actor,
  ): Promise<{ evidence: Evidence; created: boolean }> {
    const { ledger, components, verifier, settings } = this.options;
    const payload = decodePayload(input.payload);
    const size =
      JSON.stringify(input.bundle).length + (input.payload?.length ?? 0);
    if (size > settings.maxBundleBytes) {
      throw new BundleTooLargeError(
        `The bundle is ${Math.ceil(
          size / 1024,
        )} KiB; the portal keeps bundles of at most ${
          settings.maxBundleBytes / 1024
        } KiB (delivery.supplyChain.maxBundleKb)`,
      );
    }
    const entity = await components.entity(
      artifact.componentRef,
      'attesting its builds',
    );
    const ladder = components.ladder(entity, artifact.componentRef);

    let verified: VerifiedBundle;
    try {
      verified = verifier.verify(input.bundle, payload);
    } catch (error) {
      throw refused(error);
    }
    const kind = kindOf(verified, input.kind);
    const context = {
      digest: artifact.digest,
      source: repositoryOfAnnotations(entity.metadata.annotations),
    };
    // Admitted when some environment of the ladder trusts it; each gate
    // then judges it against its own environment's policy.
    const outcomes = distinctPolicies(ladder.environments).map(p => ({
      env: p.env,
      outcome: judgeAttestation(verified.facts, kind, p.policy, context),
    }));
    if (!outcomes.some(o => o.outcome.ok)) {
      const last = outcomes[outcomes.length - 1];
      throw refusal(
        last.outcome,
        outcomes.length > 1
          ? `no environment of the ${ladder.name} ladder trusts it; ${last.env.name}: `
          : '',
      );
    }

    const existing = await ledger.evidence.findByBundle(
      artifact.id,
      verified.facts.bundleDigest,
    );
    if (existing) return { evidence: existing, created: false };
    const counts =
      kind === 'image-scan'
        ? vulnerabilityCounts(verified.predicate)
        : undefined;
    try {
      const evidence = await ledger.evidence.addEvidence({
        artifactId: artifact.id,
        kind,
        result: 'passed',
        summary: counts ? { vulnerabilities: counts } : undefined,
        url: input.url,
        reportedBy: actor.ref,
        reportedAt: this.options.clock(),
        attestation: {
          facts: verified.facts,
          bundle: verified.text,
          signedPayload: input.payload,
        },
      });
      return { evidence, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The same bundle, posted twice at once: one of them recorded it.
      const recorded = await ledger.evidence.findByBundle(
        artifact.id,
        verified.facts.bundleDigest,
      );
      if (!recorded) throw error;
      return { evidence: recorded, created: false };
    }
  }

  /**
   * The latest evidence of each kind, and, when the environment requires
   * verified kinds, the artifact's attestations judged again against its
   * policy and the trust in force now.
   */
  async forGate(
    artifact: Artifact,
    environment: EnvironmentConfig | undefined,
    entity?: Entity,
    known?: Evidence[],
  ): Promise<{ evidence: Evidence[]; attestations: JudgedAttestation[] }> {
    const { ledger } = this.options;
    const needed = (environment?.verifiedEvidence.length ?? 0) > 0;
    const [evidence, stored] = await Promise.all([
      known ??
        ledger.evidence
          .latestEvidence([artifact.id])
          .then(latest => latest.get(artifact.id) ?? []),
      needed
        ? ledger.evidence.attestations(artifact.id)
        : Promise.resolve([] as StoredAttestation[]),
    ]);
    if (!environment || stored.length === 0) {
      return { evidence, attestations: [] };
    }
    const policy = environment.attestationPolicy;
    let source: string | undefined;
    if (needsCatalog(policy)) {
      source = entity
        ? repositoryOfAnnotations(entity.metadata.annotations)
        : await this.sourceOf(artifact.componentRef);
    }
    const attestations = stored.map(a => ({
      evidence: a.evidence,
      outcome: this.judgeAgain(a, policy, { digest: artifact.digest, source }),
    }));
    return { evidence, attestations };
  }

  private judgeAgain(
    stored: StoredAttestation,
    policy: AttestationPolicy,
    context: { digest: string; source?: string },
  ): AttestationOutcome {
    const result = this.verifyStored(stored);
    if (result instanceof AttestationRefusedError) {
      return { ok: false, check: result.check, message: bare(result) };
    }
    return judgeAttestation(
      result.facts,
      stored.evidence.kind,
      policy,
      context,
    );
  }

  /** The signature checks of a stored bundle, remembered: trust is fixed for the process. */
  private verifyStored(
    stored: StoredAttestation,
  ): VerifiedBundle | AttestationRefusedError {
    const id = stored.evidence.id;
    let result = this.verified.get(id);
    if (!result) {
      try {
        result = this.options.verifier.verify(
          JSON.parse(stored.bundle),
          decodePayload(stored.signedPayload),
        );
      } catch (error) {
        if (!(error instanceof AttestationRefusedError)) throw error;
        result = error;
      }
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        this.verified.delete(this.verified.keys().next().value!);
      }
      this.verified.set(id, result);
    }
    return result;
  }

  private async sourceOf(ref: string): Promise<string | undefined> {
    let entity: Entity | undefined;
    try {
      entity = await this.options.components.entity(ref);
    } catch (error) {
      if ((error as Error).name !== 'UnprocessableEntityError') throw error;
    }
    return repositoryOfAnnotations(entity?.metadata.annotations);
  }
}

function decodePayload(payload: string | undefined): Buffer | undefined {
  if (payload === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) {
    throw new InputError('payload must be base64');
  }
  return Buffer.from(payload, 'base64');
}

/** The evidence kind a verified bundle stands for. */
function kindOf(verified: VerifiedBundle, asked?: EvidenceKind): EvidenceKind {
  const { content, predicateType } = verified.facts;
  const known =
    content === 'message-signature'
      ? 'signature'
      : predicateType && kindOfPredicate(predicateType);
  if (known && asked && asked !== known) {
    throw refusal({
      ok: false,
      check: 'kind',
      message: `a ${
        predicateType ?? 'message signature'
      } attestation is ${known} evidence, not ${asked}`,
    });
  }
  if (known) return known;
  if (asked) return asked;
  throw refusal({
    ok: false,
    check: 'kind',
    message: `the predicate type ${
      predicateType ?? '(none)'
    } is not one the portal knows (${PREDICATE_KINDS.map(p => p.prefix).join(
      ', ',
    )}); say which evidence it is with kind`,
  });
}

function bare(error: AttestationRefusedError): string {
  return error.message.slice(error.check.length + 2);
}

function refused(error: unknown): Error {
  if (error instanceof AttestationRefusedError) {
    return new UnprocessableEntityError(
      `The bundle was refused: ${error.message}`,
    );
  }
  return error as Error;
}

function refusal(
  outcome: AttestationOutcome,
  scope = '',
): UnprocessableEntityError {
  if (outcome.ok) throw new Error('not a refusal');
  return new UnprocessableEntityError(
    `The bundle was refused: ${scope}${outcome.check}: ${outcome.message}`,
  );
}
