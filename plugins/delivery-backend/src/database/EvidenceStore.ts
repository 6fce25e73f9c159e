import { EvidenceKind } from '@backstage-delivery/plugin-delivery-common';
import { Knex } from 'knex';
import type { AttestationFacts } from '../domain/attestations';
import { Evidence, EvidenceResult, EvidenceSummary } from '../domain/types';
import { EvidenceRow } from './rows';
import { insertReturningId, isUniqueViolation, json, num, opt } from './util';

/** Columns of an evidence row, without the bundle (read only to verify it again). */
const COLUMNS = [
  'id',
  'artifact_id',
  'kind',
  'result',
  'status',
  'summary',
  'url',
  'reported_by',
  'reported_at',
  'verification',
  'bundle_digest',
];

/** A verified piece of evidence with the bundle it was verified from. */
export interface StoredAttestation {
  evidence: Evidence;
  /** The bundle as received (JSON). */
  bundle: string;
  /** Base64 of the bytes a message signature signs. */
  signedPayload?: string;
}

/**
 * The artifact aggregate's evidence: append-only, reported by CI or verified
 * by the portal from a Sigstore bundle (kept so it can be verified again).
 */
export class EvidenceStore {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async addEvidence(evidence: {
    artifactId: string;
    kind: EvidenceKind;
    result: EvidenceResult;
    summary?: EvidenceSummary;
    url?: string;
    reportedBy: string;
    reportedAt: number;
    /**
     * The request's idempotency key (hashed): evidence already recorded under
     * it is returned instead of recorded again.
     */
    requestKey?: string;
    /** Set for evidence the portal verified. */
    attestation?: {
      facts: AttestationFacts;
      bundle: string;
      signedPayload?: string;
    };
  }): Promise<Evidence> {
    const { attestation } = evidence;
    const row: Omit<EvidenceRow, 'id'> = {
      artifact_id: evidence.artifactId,
      kind: evidence.kind,
      result: evidence.result,
      status: attestation ? 'verified' : 'reported',
      summary: evidence.summary ? JSON.stringify(evidence.summary) : null,
      url: evidence.url ?? null,
      reported_by: evidence.reportedBy,
      reported_at: evidence.reportedAt,
      verification: attestation ? JSON.stringify(attestation.facts) : null,
      bundle_digest: attestation?.facts.bundleDigest ?? null,
    };
    const { requestKey } = evidence;
    const recorded = () =>
      this.db('delivery_evidence')
        .select(COLUMNS)
        .where('request_key', requestKey!)
        .first()
        .then((r?: EvidenceRow) => r && toEvidence(r));
    try {
      const id = await insertReturningId(this.db, 'delivery_evidence', {
        ...row,
        bundle: attestation?.bundle ?? null,
        signed_payload: attestation?.signedPayload ?? null,
        request_key: requestKey ?? null,
      });
      return toEvidence({ id, ...row });
    } catch (error) {
      // The same request, run twice at once: the first one recorded it.
      const earlier =
        requestKey && isUniqueViolation(error) ? await recorded() : undefined;
      if (earlier) return earlier;
      throw error;
    }
  }

  /** The evidence recorded from this bundle for the artifact, if it was. */
  async findByBundle(
    artifactId: string,
    bundleDigest: string,
  ): Promise<Evidence | undefined> {
    const row: EvidenceRow | undefined = await this.db('delivery_evidence')
      .select(COLUMNS)
      .where({ artifact_id: artifactId, bundle_digest: bundleDigest })
      .first();
    return row ? toEvidence(row) : undefined;
  }

  /** Every piece of evidence of an artifact, oldest first. */
  async listEvidence(artifactId: string): Promise<Evidence[]> {
    const rows: EvidenceRow[] = await this.db('delivery_evidence')
      .select(COLUMNS)
      .where('artifact_id', artifactId)
      .orderBy('id', 'asc');
    return rows.map(toEvidence);
  }

  /** The latest evidence of each kind, per artifact. */
  async latestEvidence(
    artifactIds: string[],
  ): Promise<Map<string, Evidence[]>> {
    const result = new Map<string, Evidence[]>();
    if (artifactIds.length === 0) return result;
    const latest = this.db('delivery_evidence')
      .select('artifact_id', 'kind')
      .max({ id: 'id' })
      .whereIn('artifact_id', [...new Set(artifactIds)])
      .groupBy('artifact_id', 'kind')
      .as('latest');
    const rows: EvidenceRow[] = await this.db('delivery_evidence as e')
      .join(latest, 'e.id', 'latest.id')
      .select(COLUMNS.map(c => `e.${c}`))
      .orderBy('e.kind');
    for (const row of rows) {
      const evidence = toEvidence(row);
      result.set(evidence.artifactId, [
        ...(result.get(evidence.artifactId) ?? []),
        evidence,
      ]);
    }
    return result;
  }

  /** The verified evidence of an artifact with its bundles, oldest first. */
  async attestations(artifactId: string): Promise<StoredAttestation[]> {
    const rows = await this.db('delivery_evidence')
      .select([...COLUMNS, 'bundle', 'signed_payload'])
      .where({ artifact_id: artifactId, status: 'verified' })
      .whereNotNull('bundle')
      .orderBy('id', 'asc');
    return rows.map(row => ({
      evidence: toEvidence(row),
      bundle: row.bundle,
      signedPayload: opt(row.signed_payload as string | null),
    }));
  }
}

function toEvidence(r: EvidenceRow): Evidence {
  return {
    id: num(r.id),
    artifactId: r.artifact_id,
    kind: r.kind as EvidenceKind,
    result: r.result as EvidenceResult,
    status: r.status as Evidence['status'],
    summary: json<EvidenceSummary>(r.summary),
    url: opt(r.url),
    reportedBy: r.reported_by,
    reportedAt: num(r.reported_at),
    verification: json<AttestationFacts>(r.verification),
  };
}
