import type { EvidenceKind } from '@backstage-delivery/plugin-delivery-common';
import type { EvidenceSummary } from './types';

/**
 * What the portal reads from an in-toto statement or a signed payload: pure
 * parsing of the content a Sigstore bundle carries, after its signature was
 * verified (supplyChain/). Nothing here trusts anything by itself.
 */

/** One subject of a statement: a name and its digests by algorithm. */
export interface Subject {
  name?: string;
  digest: Record<string, string>;
}

/** The facts of a SLSA provenance predicate that policies look at. */
export interface ProvenanceFacts {
  builderId?: string;
  buildType?: string;
  /** The source repository as built, e.g. `git+https://github.com/acme/shop@refs/heads/main`. */
  sourceUri?: string;
  /** `github.com/acme/shop`, normalised from the source URI. */
  sourceRepository?: string;
  sourceRef?: string;
  sourceCommit?: string;
  /** The workflow file, for GitHub Actions builds. */
  workflow?: string;
  /** The CI run that built it. */
  runUrl?: string;
}

export const PREDICATE_KINDS: Array<{ prefix: string; kind: EvidenceKind }> = [
  { prefix: 'https://slsa.dev/provenance/', kind: 'provenance' },
  { prefix: 'https://spdx.dev/Document', kind: 'sbom' },
  { prefix: 'https://cyclonedx.org/bom', kind: 'sbom' },
  {
    prefix: 'https://cosign.sigstore.dev/attestation/vuln/',
    kind: 'image-scan',
  },
  { prefix: 'https://sigstore.dev/cosign/sign/', kind: 'signature' },
];

/** The evidence kind a predicate type stands for, if the portal knows it. */
export function kindOfPredicate(
  predicateType: string,
): EvidenceKind | undefined {
  return PREDICATE_KINDS.find(p => predicateType.startsWith(p.prefix))?.kind;
}

/** `github.com/acme/shop` from a repository URL in any of its usual spellings. */
export function normaliseRepository(
  uri: string | undefined,
): string | undefined {
  if (!uri) return undefined;
  const match = uri
    .replace(/^git\+/, '')
    .replace(/^url:/, '')
    .match(/^(?:[a-z]+:\/\/)?(?:[^@/]+@)?([^/:]+)[/:]([^/]+)\/([^/@#?]+)/i);
  if (!match) return undefined;
  const [, host, owner, repo] = match;
  return `${host}/${owner}/${repo.replace(/\.git$/, '')}`.toLowerCase();
}

/** The repository a component's catalog entry names, from its annotations. */
export function repositoryOfAnnotations(
  annotations: Record<string, string> | undefined,
): string | undefined {
  const slug = annotations?.['github.com/project-slug'];
  if (slug) return `github.com/${slug}`.toLowerCase();
  const location = annotations?.['backstage.io/source-location'];
  return location ? normaliseRepository(location) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function splitRef(uri: string | undefined): { uri?: string; ref?: string } {
  if (!uri) return {};
  const at = uri.lastIndexOf('@');
  return at > uri.indexOf('://') + 3 && uri.slice(at + 1).startsWith('refs/')
    ? { uri: uri.slice(0, at), ref: uri.slice(at + 1) }
    : { uri };
}

/**
 * The builder, source and run of a SLSA provenance predicate, v1
 * (`actions/attest-build-provenance`, slsa-github-generator) or v0.2.
 */
export function provenanceFacts(
  predicateType: string,
  predicate: any,
): ProvenanceFacts | undefined {
  if (!predicateType.startsWith('https://slsa.dev/provenance/')) {
    return undefined;
  }
  if (predicateType.endsWith('/v0.2')) {
    const source = predicate?.invocation?.configSource;
    const { uri, ref } = splitRef(str(source?.uri));
    return {
      builderId: str(predicate?.builder?.id),
      buildType: str(predicate?.buildType),
      sourceUri: str(source?.uri),
      sourceRepository: normaliseRepository(uri),
      sourceRef: ref,
      sourceCommit: str(source?.digest?.sha1) ?? str(source?.digest?.gitCommit),
      workflow: str(source?.entryPoint),
      runUrl: str(predicate?.metadata?.buildInvocationId),
    };
  }
  const definition = predicate?.buildDefinition;
  const workflow = definition?.externalParameters?.workflow;
  const dependency = (definition?.resolvedDependencies ?? []).find(
    (d: any) => typeof d?.uri === 'string' && d.uri.startsWith('git+'),
  );
  const { uri, ref } = splitRef(str(dependency?.uri));
  const runUrl = str(predicate?.runDetails?.metadata?.invocationId);
  return {
    builderId: str(predicate?.runDetails?.builder?.id),
    buildType: str(definition?.buildType),
    sourceUri: str(dependency?.uri),
    sourceRepository: normaliseRepository(uri ?? str(workflow?.repository)),
    sourceRef: ref ?? str(workflow?.ref),
    sourceCommit:
      str(dependency?.digest?.gitCommit) ?? str(dependency?.digest?.sha1),
    workflow: str(workflow?.path),
    // GitHub's invocation id ends with the attempt; the run is its parent.
    runUrl: runUrl?.replace(/\/attempts\/\d+$/, ''),
  };
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/**
 * Vulnerability counts of a scan attestation: cosign's vuln predicate, whose
 * `scanner.result` is the scanner's report (Trivy JSON: `Results[].
 * Vulnerabilities[].Severity`). Undefined when the report has another shape.
 */
export function vulnerabilityCounts(
  predicate: any,
): EvidenceSummary['vulnerabilities'] | undefined {
  const results = predicate?.scanner?.result?.Results;
  if (!Array.isArray(results)) return undefined;
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const result of results) {
    for (const v of Array.isArray(result?.Vulnerabilities)
      ? result.Vulnerabilities
      : []) {
      const key = String(v?.Severity).toLowerCase();
      if ((SEVERITIES as readonly string[]).includes(key)) {
        counts[key as (typeof SEVERITIES)[number]] += 1;
      }
    }
  }
  return counts;
}

/**
 * The image a cosign "simple signing" payload names, as `sha256:…`: what a
 * message signature over an image signs.
 */
export function simpleSigningDigest(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8'));
    return str(parsed?.critical?.image?.['docker-manifest-digest']);
  } catch {
    return undefined;
  }
}

/** The subjects of an in-toto statement, or a reason it is not one. */
export function statementSubjects(
  statement: any,
): { subjects: Subject[] } | { problem: string } {
  if (!Array.isArray(statement?.subject) || statement.subject.length === 0) {
    return { problem: 'the in-toto statement names no subject' };
  }
  const subjects: Subject[] = [];
  for (const s of statement.subject) {
    if (typeof s?.digest !== 'object' || s.digest === null) {
      return { problem: 'a subject of the in-toto statement has no digest' };
    }
    subjects.push({
      name: str(s.name),
      digest: Object.fromEntries(
        Object.entries(s.digest).filter(([, v]) => typeof v === 'string'),
      ) as Record<string, string>,
    });
  }
  return { subjects };
}
