import type { EnvironmentConfig } from '../config/types';
import { approvalEligibility, approvalsComplete } from './approvals';
import { Actor, Approval, Promotion } from './types';

const production = {
  name: 'production',
  approvals: { count: 2, groups: ['group:default/platform'] },
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
    expect(approvalsComplete(promotion, [approval('bob', 'approve')])).toBe(
      false,
    );
    expect(
      approvalsComplete(promotion, [
        approval('bob', 'approve'),
        approval('carol', 'reject'),
      ]),
    ).toBe(false);
    expect(
      approvalsComplete(promotion, [
        approval('bob', 'approve'),
        approval('carol', 'approve'),
      ]),
    ).toBe(true);
  });
});
