/**
 * The people behind a change, for separation of duties: whoever requested a
 * promotion, and the people CI names for it (the commit author, the actor
 * who pushed or started the run). CI reports GitHub identities; the service
 * matches them to catalog users (by e-mail or GitHub login annotation) when
 * the promotion is requested, and the approval rules read the result.
 */

/** How a person is involved in a change. */
export type InvolvementRole = 'requester' | 'triggered-by' | 'commit-author';

/** An identity CI reported, before it is matched to a catalog user. */
export interface ReportedIdentity {
  role: InvolvementRole;
  email?: string;
  login?: string;
}

/** A catalog user behind a change, and how they were matched. */
export interface PersonBehind {
  ref: string;
  role: InvolvementRole;
  /** What matched, e.g. `GitHub login octocat` or `e-mail a@example.com`. */
  matchedBy?: string;
}

/** What CI may report about the people behind a build. */
export interface BuildPeople {
  commitAuthorEmail?: string;
  commitAuthorLogin?: string;
  triggeredBy?: string;
}

/** The identities to look up for a promotion of a build. */
export function reportedIdentities(
  promotion: { triggeredBy?: string },
  artifact: BuildPeople,
): ReportedIdentity[] {
  const identities: ReportedIdentity[] = [];
  if (promotion.triggeredBy) {
    identities.push({ role: 'triggered-by', login: promotion.triggeredBy });
  }
  if (artifact.triggeredBy && artifact.triggeredBy !== promotion.triggeredBy) {
    identities.push({ role: 'triggered-by', login: artifact.triggeredBy });
  }
  if (artifact.commitAuthorEmail || artifact.commitAuthorLogin) {
    identities.push({
      role: 'commit-author',
      email: artifact.commitAuthorEmail,
      login: artifact.commitAuthorLogin,
    });
  }
  return identities;
}

const ROLE_WORDS: Record<InvolvementRole, string> = {
  requester: 'requested this promotion',
  'triggered-by': 'pushed or started the pipeline run behind this promotion',
  'commit-author': 'wrote the commit this build came from',
};

/** Why a person behind a change may not decide its approval. */
export function describeInvolvement(person: PersonBehind): string {
  return `${person.ref} ${ROLE_WORDS[person.role]}${
    person.matchedBy ? ` (matched by ${person.matchedBy})` : ''
  }`;
}

/** Whether an actor is on none of the committing teams. */
export function outsideTeams(
  ownershipRefs: string[],
  committingTeams: string[],
): boolean {
  return !ownershipRefs.some(ref => committingTeams.includes(ref));
}
