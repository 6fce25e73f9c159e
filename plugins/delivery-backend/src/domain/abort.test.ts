import { abortAuthority } from './abort';

const ci = { type: 'service' as const, ref: 'github-actions' };
const alice = { type: 'user' as const, ref: 'user:default/alice' };

describe('abortAuthority', () => {
  it.each([
    // requester, kind, state, actor → what it takes
    ['github-actions', 'normal', 'awaiting-approval', ci, 'request'],
    ['github-actions', 'normal', 'deploying', ci, 'abort'],
    ['github-actions', 'rollback', 'approved', ci, 'abort'],
    ['user:default/alice', 'normal', 'awaiting-approval', alice, 'request'],
    ['user:default/alice', 'hotfix', 'approved', alice, 'request'],
    ['user:default/alice', 'normal', 'verifying', alice, 'abort'],
    ['user:default/alice', 'rollback', 'approved', alice, 'abort'],
    ['github-actions', 'normal', 'awaiting-approval', alice, 'abort'],
  ] as const)(
    'requested by %s (%s, %s), aborted by %o: needs %s',
    (requestedBy, kind, state, actor, permission) => {
      expect(abortAuthority({ requestedBy, kind, state }, actor)).toEqual({
        permission,
      });
    },
  );

  it('never lets CI abort what a person requested', () => {
    expect(
      abortAuthority(
        {
          requestedBy: 'user:default/alice',
          kind: 'normal',
          state: 'awaiting-approval',
        },
        ci,
      ),
    ).toEqual({
      refusal:
        'github-actions may abort only promotions it requested; this one was requested by user:default/alice',
    });
  });
});
