import type { Actor, Promotion } from './types';

/** States in which an executor or a pipeline is changing the environment. */
const EXECUTING: readonly Promotion['state'][] = ['deploying', 'verifying'];

/**
 * What aborting a promotion takes: the requester may abort their own
 * request (permission to request) until it executes; anyone else, a
 * rollback, or a promotion under way needs the abort permission (the
 * component's owners and the platform group by default). A service
 * principal (CI) may abort only what it requested itself.
 */
export function abortAuthority(
  promotion: Pick<Promotion, 'requestedBy' | 'kind' | 'state'>,
  actor: Pick<Actor, 'type' | 'ref'>,
): { refusal: string } | { permission: 'request' | 'abort' } {
  const own = promotion.requestedBy === actor.ref;
  if (actor.type === 'service' && !own) {
    return {
      refusal: `${actor.ref} may abort only promotions it requested; this one was requested by ${promotion.requestedBy}`,
    };
  }
  const executing = EXECUTING.includes(promotion.state);
  return own && promotion.kind !== 'rollback' && !executing
    ? { permission: 'request' }
    : { permission: 'abort' };
}
