import type { EnvironmentConfig } from '../config/types';
import { approvalEligibility, approvalsComplete } from './approvals';
import { Actor, Approval, Promotion } from './types';

const production = {
  name: 'production',
  approvals: {
    count: 2,
    groups: ['group:default/platform'],
    outsideCommittingTeam: false,
  },
} as EnvironmentConfig;

const promotion = {
  id: 'p1',
  environment: 'production',
  requestedBy: 'user:default/alice',
  requiredApprovals: 2,
} as Promotion;

const user = (name: string, groups: string[] = []): Actor => ({
  type: 'user',
  ref: `user:default/${name}`,
  ownershipRefs: [`user:default/${name}`, ...groups],
});
const approval = (name: string, decision: Approval['decision']): Approval => ({
  approverRef: `user:default/${name}`,
  decision,
  createdAt: 1,
});

describe('approvalEligibility', () => {
  it('allows a member of an approver group who is not the requester', () => {
    expect(
      approvalEligibility(
        user('bob', ['group:default/platform']),
        promotion,
        [],
        production,
      ),
    ).toEqual({ allowed: true });
  });

  it.each([
    [
      'a service',
      { type: 'service', ref: 'ci', ownershipRefs: [] } as Actor,
      'Only users can approve or reject promotions',
    ],
    [
      'the requester',
      user('alice', ['group:default/platform']),
      'user:default/alice requested this promotion and cannot approve or reject it; another member of the approver groups must',
    ],
    [
      'someone outside the approver groups',
      user('dave', ['group:default/payments']),
      'Only members of group:default/platform may approve promotions to production; user:default/dave is not one',
    ],
  ])('refuses %s, saying why', (_who, actor, reason) => {
    expect(approvalEligibility(actor, promotion, [], production)).toEqual({
      allowed: false,
      reason,
    });
  });

  it('refuses a second decision by the same approver', () => {
    expect(
      approvalEligibility(
        user('bob', ['group:default/platform']),
        promotion,
        [approval('bob', 'approve')],
        production,
      ),
    ).toEqual({
      allowed: false,
      reason: 'user:default/bob has already decided on this promotion',
    });
  });

  it('refuses everyone when the environment left the config', () => {
    expect(
      approvalEligibility(
        user('bob', ['group:default/platform']),
        promotion,
        [],
        undefined,
      ),
    ).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('the configured approver groups'),
    });
  });
});

describe('approvalsComplete', () => {
  it('counts approvals, not rejections, against the required number', () => {
    expect(
      approvalsComplete(promotion, [approval('bob', 'approve')], production),
    ).toBe(false);
    expect(
      approvalsComplete(
        promotion,
        [approval('bob', 'approve'), approval('carol', 'reject')],
        production,
      ),
    ).toBe(false);
    expect(
      approvalsComplete(
        promotion,
        [approval('bob', 'approve'), approval('carol', 'approve')],
        production,
      ),
    ).toBe(true);
  });
});

describe('separation of duties with people behind CI', () => {
  const fromCi = {
    ...promotion,
    requestedBy: 'service:github-actions',
    triggeredBy: 'carol-gh',
    people: [
      {
        ref: 'user:default/carol',
        role: 'triggered-by',
        matchedBy: 'GitHub login carol-gh',
      },
      {
        ref: 'user:default/dave',
        role: 'commit-author',
        matchedBy: 'e-mail dave@acme.example',
      },
    ],
    committingTeams: ['group:default/payments'],
  } as Promotion;
  const strict = {
    ...production,
    approvals: { ...production.approvals, outsideCommittingTeam: true },
  } as EnvironmentConfig;
  const platform = 'group:default/platform';
  const payments = 'group:default/payments';

  it('refuses the commit author and who started the run, saying how they were matched', () => {
    expect(
      approvalEligibility(user('dave', [platform]), fromCi, [], production),
    ).toEqual({
      allowed: false,
      reason:
        'user:default/dave wrote the commit this build came from (matched by e-mail dave@acme.example) and cannot approve or reject it; another member of the approver groups must',
    });
    expect(
      approvalEligibility(user('carol', [platform]), fromCi, [], production),
    ).toEqual({
      allowed: false,
      reason:
        'user:default/carol pushed or started the pipeline run behind this promotion (matched by GitHub login carol-gh) and cannot approve or reject it; another member of the approver groups must',
    });
    // Another member of the same team may.
    expect(
      approvalEligibility(
        user('erin', [platform, payments]),
        fromCi,
        [],
        production,
      ),
    ).toEqual({ allowed: true });
  });

  it('keeps the last approval for someone outside the committing team where configured', () => {
    const teammate = user('erin', [platform, payments]);
    const outsider = user('frank', [platform]);
    // The first of two approvals may come from the team...
    expect(approvalEligibility(teammate, fromCi, [], strict)).toEqual({
      allowed: true,
    });
    // ...the last may not, unless an outsider approved already.
    const fromTeam = {
      ...approval('gina', 'approve'),
      outsideCommittingTeam: false,
    };
    expect(approvalEligibility(teammate, fromCi, [fromTeam], strict)).toEqual({
      allowed: false,
      reason:
        'The approvals for production must include someone outside the committing team (group:default/payments); user:default/erin is on it, so someone from another team must decide',
    });
    expect(approvalEligibility(outsider, fromCi, [fromTeam], strict)).toEqual({
      allowed: true,
    });
    const fromOutside = {
      ...approval('frank', 'approve'),
      outsideCommittingTeam: true,
    };
    expect(
      approvalEligibility(teammate, fromCi, [fromOutside], strict),
    ).toEqual({ allowed: true });

    expect(
      approvalsComplete(
        fromCi,
        [
          fromTeam,
          { ...approval('erin', 'approve'), outsideCommittingTeam: false },
        ],
        strict,
      ),
    ).toBe(false);
    expect(approvalsComplete(fromCi, [fromTeam, fromOutside], strict)).toBe(
      true,
    );
    // Without the setting, any two approvers complete it.
    expect(
      approvalsComplete(
        fromCi,
        [
          fromTeam,
          { ...approval('erin', 'approve'), outsideCommittingTeam: false },
        ],
        production,
      ),
    ).toBe(true);
  });
});
