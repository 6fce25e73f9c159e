import { listInWords } from './describe';
import type { GateInput, JudgedAttestation } from './gates';
import type { Evidence, GateVerdict } from './types';

/**
 * The evidence gate: every required kind present and passed, and the kinds
 * an environment requires verified backed by a bundle that still verifies
 * under the environment's policy.
 */

function describeFailedEvidence(e: Evidence): string {
  const tests = e.summary?.tests;
  if (tests)
    return `${e.kind} (${tests.failed} of ${
      tests.passed + tests.failed
    } tests failed)`;
  return e.kind;
}

/** How a required kind stands: passed, or what is wrong with it. */
function evidenceProblem(
  kind: Evidence['kind'],
  mustVerify: boolean,
  latest: Evidence | undefined,
  attestations: JudgedAttestation[],
):
  | { problem: 'missing' | 'failed' | 'unverified' | 'refused'; text: string }
  | undefined {
  if (!mustVerify) {
    if (!latest) return { problem: 'missing', text: kind };
    return latest.result === 'failed'
      ? { problem: 'failed', text: describeFailedEvidence(latest) }
      : undefined;
  }
  const judged = attestations.filter(a => a.evidence.kind === kind);
  if (judged.some(a => a.outcome.ok && a.evidence.result === 'passed')) {
    return undefined;
  }
  const refused = judged.find(a => !a.outcome.ok);
  if (refused && !refused.outcome.ok) {
    return {
      problem: 'refused',
      text: `${kind} failed verification (${refused.outcome.check}: ${refused.outcome.message})`,
    };
  }
  if (latest) {
    return {
      problem: 'unverified',
      text: `${kind} was only reported by ${latest.reportedBy}, not verified`,
    };
  }
  return { problem: 'missing', text: kind };
}

export function evidenceGate(
  input: Pick<GateInput, 'kind' | 'environment' | 'evidence' | 'attestations'>,
): GateVerdict {
  const { requiredEvidence: required, verifiedEvidence } = input.environment;
  if (input.kind === 'rollback') {
    return {
      gate: 'evidence',
      verdict: 'skipped',
      message: 'rollbacks return to a build that passed before',
    };
  }
  if (required.length === 0) {
    return {
      gate: 'evidence',
      verdict: 'passed',
      message: 'no evidence required',
    };
  }
  const named = listInWords(
    required.map(kind =>
      verifiedEvidence.includes(kind) ? `${kind} (verified)` : kind,
    ),
  );
  const latest = new Map(input.evidence.map(e => [e.kind, e]));
  const problems = required.flatMap(kind => {
    const p = evidenceProblem(
      kind,
      verifiedEvidence.includes(kind),
      latest.get(kind),
      input.attestations,
    );
    return p ? [p] : [];
  });
  if (problems.length === 0) {
    return { gate: 'evidence', verdict: 'passed', message: `${named} passed` };
  }
  const of = (problem: string) =>
    problems.filter(p => p.problem === problem).map(p => p.text);
  const missing = of('missing');
  const failed = of('failed');
  const words = [
    ...(missing.length ? [`no ${listInWords(missing)} reported`] : []),
    ...(failed.length ? [`latest ${listInWords(failed)} failed`] : []),
    ...of('unverified'),
    ...of('refused'),
  ];
  return {
    gate: 'evidence',
    verdict: 'failed',
    message: `${input.environment.name} requires ${named}: ${words.join('; ')}`,
  };
}
