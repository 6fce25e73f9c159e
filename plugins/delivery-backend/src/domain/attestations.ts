import type { EvidenceKind } from '@backstage-delivery/plugin-delivery-common';
import { listInWords, shortDigest } from './describe';
import type { ProvenanceFacts, Subject } from './predicates';
import type { Actor } from './types';

/**
 * Who may sign for a component, what its provenance must say, and who may
 * report which evidence: pure rules over facts that supplyChain/ verified
 * cryptographically.
 */

/** One trusted signer: a configured key, or a certificate identity from an OIDC issuer. */
export type SignerRule =
  | { key: string }
  | { issuer: string; subject: string }
  | { issuer: string; subjectPattern: string }
  | {
      issuer: string;
      /** The subject is a workflow of the component's own repository (catalog). */
      subjectFromCatalog: true;
      /** Workflow files allowed, e.g. `.github/workflows/build.yaml`; any when empty. */
      workflows: string[];
      /** Refs allowed, exact or ending in `*`; any when empty. */
      refs: string[];
    };

export interface ProvenancePolicy {
  /** Builder ids allowed (exact); any when empty. */
  builders: string[];
  /** The source repository must be the component's (from the catalog). */
  sourceFromCatalog: boolean;
  /** Source refs allowed, exact or ending in `*`; any when empty. */
  refs: string[];
}

/** The policy in force for an environment (or, at admission, for one of them). */
export interface AttestationPolicy {
  signers: SignerRule[];
  provenance: ProvenancePolicy;
}

/** Who signed, as the bundle's key or certificate says after verification. */
export interface SignerFacts {
  type: 'key' | 'certificate';
  /** The configured key that verified the signature. */
  keyId?: string;
  /** The certificate's OIDC issuer. */
  issuer?: string;
  /** The certificate's subject alternative name (a workflow ref, an e-mail…). */
  subject?: string;
  /** Fulcio's build extensions, when the signer was a CI workflow. */
  sourceRepository?: string;
  sourceRef?: string;
  sourceCommit?: string;
  runUrl?: string;
}

/** What a verified bundle says, stored with the evidence. */
export interface AttestationFacts {
  mediaType: string;
  /** `sha256:…` of the bundle as received. */
  bundleDigest: string;
  content: 'dsse' | 'message-signature';
  signer: SignerFacts;
  predicateType?: string;
  subjects: Subject[];
  provenance?: ProvenanceFacts;
  transparencyLog?: {
    logIndex: string;
    logId: string;
    integratedTime?: number;
  };
  /** RFC 3161 timestamps from a timestamp authority. */
  signedTimestamps: number;
}

/** The checks a bundle goes through, named in refusals. */
export type AttestationCheck =
  | 'bundle'
  | 'signature'
  | 'certificate'
  | 'key'
  | 'transparency-log'
  | 'timestamp'
  | 'identity'
  | 'subject'
  | 'provenance'
  | 'kind';

export type AttestationOutcome =
  | { ok: true }
  | { ok: false; check: AttestationCheck; message: string };

/** A rule's anchored regular expression: `org/repo` never matches `org/repo-evil`. */
export function anchoredPattern(pattern: string): RegExp {
  return new RegExp(anchored(pattern));
}

function anchored(pattern: string) {
  return `^(?:${pattern})$`;
}

/** Whether a ref is allowed by a list of exact refs and `prefix*` globs. */
export function refAllowed(ref: string | undefined, allowed: string[]) {
  if (allowed.length === 0) return true;
  if (!ref) return false;
  return allowed.some(a =>
    a.endsWith('*') ? ref.startsWith(a.slice(0, -1)) : ref === a,
  );
}

export function describeSigner(s: SignerFacts): string {
  if (s.type === 'key') return `key ${s.keyId}`;
  return `${s.subject ?? 'an unnamed subject'} (issuer ${
    s.issuer ?? 'unknown'
  })`;
}

export function describeRule(rule: SignerRule, source?: string): string {
  if ('key' in rule) return `key ${rule.key}`;
  if ('subject' in rule) return `${rule.subject} (issuer ${rule.issuer})`;
  if ('subjectPattern' in rule) {
    return `a subject matching ${anchored(rule.subjectPattern)} (issuer ${
      rule.issuer
    })`;
  }
  const workflows = rule.workflows.length
    ? listInWords(rule.workflows, 'or')
    : 'any workflow';
  const refs = rule.refs.length ? ` at ${listInWords(rule.refs, 'or')}` : '';
  return `${workflows} of ${
    source ?? "the component's repository"
  }${refs} (issuer ${rule.issuer})`;
}

/** A GitHub-style workflow identity: `https://host/owner/repo/path@ref`. */
function workflowIdentity(subject: string) {
  const m = subject.match(
    /^https:\/\/([^/]+)\/([^/]+)\/([^/]+)\/([^@]+)@(.+)$/,
  );
  return m
    ? {
        repository: `${m[1]}/${m[2]}/${m[3]}`.toLowerCase(),
        workflow: m[4],
        ref: m[5],
      }
    : undefined;
}

function ruleMatches(
  rule: SignerRule,
  signer: SignerFacts,
  source: string | undefined,
): boolean {
  if ('key' in rule) return signer.type === 'key' && signer.keyId === rule.key;
  if (signer.type !== 'certificate' || signer.issuer !== rule.issuer) {
    return false;
  }
  const subject = signer.subject ?? '';
  if ('subject' in rule) return subject === rule.subject;
  if ('subjectPattern' in rule) {
    return anchoredPattern(rule.subjectPattern).test(subject);
  }
  const identity = workflowIdentity(subject);
  return (
    !!source &&
    !!identity &&
    identity.repository === source &&
    (rule.workflows.length === 0 ||
      rule.workflows.includes(identity.workflow)) &&
    refAllowed(identity.ref, rule.refs)
  );
}

/** Whether the signer is one the policy trusts, and if not, what it expected. */
export function checkSigner(
  signer: SignerFacts,
  rules: SignerRule[],
  source: string | undefined,
): AttestationOutcome {
  if (rules.some(rule => ruleMatches(rule, signer, source)))
    return { ok: true };
  const expected = rules.length
    ? `trusted signers are ${listInWords(
        rules.map(r => describeRule(r, source)),
        'or',
      )}`
    : 'no signer is trusted; configure delivery.supplyChain.signers';
  const missingSource =
    !source && rules.some(r => 'subjectFromCatalog' in r)
      ? "; the component's catalog entry names no repository (github.com/project-slug or backstage.io/source-location)"
      : '';
  return {
    ok: false,
    check: 'identity',
    message: `signed by ${describeSigner(
      signer,
    )}, but ${expected}${missingSource}`,
  };
}

function describeSubject(s: Subject): string {
  const [alg, hex] = Object.entries(s.digest)[0] ?? ['?', '?'];
  const digest = `${alg}:${hex.slice(0, 12)}…`;
  return s.name ? `${s.name} (${digest})` : digest;
}

/** A bundle counts for an artifact only when a subject is its sha256 digest, exactly. */
export function checkSubject(
  subjects: Subject[],
  digest: string,
): AttestationOutcome {
  const hex = digest.replace(/^sha256:/, '');
  if (subjects.some(s => s.digest.sha256 === hex)) return { ok: true };
  return {
    ok: false,
    check: 'subject',
    message: `attests ${
      listInWords(subjects.map(describeSubject)) || 'nothing'
    }, not ${shortDigest(digest)} (the artifact's sha256 digest)`,
  };
}

/** Whether provenance shows an allowed builder, the component's repository and an allowed ref. */
export function checkProvenance(
  facts: ProvenanceFacts | undefined,
  policy: ProvenancePolicy,
  source: string | undefined,
): AttestationOutcome {
  const refuse = (message: string): AttestationOutcome => ({
    ok: false,
    check: 'provenance',
    message,
  });
  if (!facts) return refuse('the attestation is not SLSA provenance');
  if (
    policy.builders.length &&
    !policy.builders.includes(facts.builderId ?? '')
  ) {
    return refuse(
      `built by ${
        facts.builderId ?? 'an unnamed builder'
      }; allowed builders are ${listInWords(policy.builders, 'or')}`,
    );
  }
  if (policy.sourceFromCatalog) {
    if (!source) {
      return refuse(
        "the component's catalog entry names no repository (github.com/project-slug or backstage.io/source-location) to compare the provenance's source with",
      );
    }
    if (facts.sourceRepository !== source) {
      return refuse(
        `built from ${
          facts.sourceRepository ?? 'an unnamed source'
        }, but the component's repository is ${source}`,
      );
    }
  }
  if (!refAllowed(facts.sourceRef, policy.refs)) {
    return refuse(
      `built from ${
        facts.sourceRef ?? 'an unnamed ref'
      }; allowed refs are ${listInWords(policy.refs, 'or')}`,
    );
  }
  return { ok: true };
}

/**
 * Judges verified facts against one policy for one artifact: the signer,
 * the subject, and for provenance, the build. The first failed check is
 * the answer.
 */
export function judgeAttestation(
  facts: AttestationFacts,
  kind: EvidenceKind,
  policy: AttestationPolicy,
  context: { digest: string; source?: string },
): AttestationOutcome {
  const checks = [
    () => checkSigner(facts.signer, policy.signers, context.source),
    () => checkSubject(facts.subjects, context.digest),
    () =>
      kind === 'provenance'
        ? checkProvenance(facts.provenance, policy.provenance, context.source)
        : ({ ok: true } as const),
  ];
  for (const check of checks) {
    const outcome = check();
    if (!outcome.ok) return outcome;
  }
  return { ok: true };
}

/** Which evidence a caller may report without a bundle (`delivery.supplyChain`). */
export interface ReportingPolicy {
  /** Kinds accepted only as verified attestations. */
  attestationOnly: EvidenceKind[];
  /** Kinds only these principals (actor refs, user or group refs) may report. */
  reporters: Map<EvidenceKind, string[]>;
}

/** Why the actor may not report this kind of evidence, if they may not. */
export function reportingRefusal(
  kind: EvidenceKind,
  actor: Actor,
  policy: ReportingPolicy,
): string | undefined {
  if (policy.attestationOnly.includes(kind)) {
    return `${kind} evidence is accepted only as a Sigstore bundle that the portal verifies: POST it to /artifacts/{artifactId}/attestations (delivery evidence attest --bundle FILE)`;
  }
  const allowed = policy.reporters.get(kind);
  if (!allowed) return undefined;
  const principals = [actor.ref, ...actor.ownershipRefs];
  if (allowed.some(p => principals.includes(p))) return undefined;
  return `only ${listInWords(allowed, 'or')} may report ${kind} evidence, not ${
    actor.ref
  }`;
}
