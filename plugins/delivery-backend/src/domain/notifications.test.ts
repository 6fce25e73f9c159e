import { ConfigReader } from '@backstage/config';
import { readNotifications } from '../config/readNotifications';
import {
  deliveryLink,
  previewNotification,
  promotionNotifications,
} from './notifications';
import type { Promotion } from './types';

const promotion = (overrides: Partial<Promotion>): Promotion =>
  ({
    id: 'p1',
    componentRef: 'component:team-a/payments-api',
    environment: 'production',
    ladder: 'standard',
    artifactId: 'a1',
    kind: 'normal',
    state: 'awaiting-approval',
    requestedBy: 'service:ci',
    people: [
      { ref: 'user:default/dave', role: 'commit-author' },
      { ref: 'user:default/carol', role: 'triggered-by' },
    ],
    gates: [],
    requiredApprovals: 1,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  } as Promotion);

const context = {
  environmentTitle: 'Production',
  approverGroups: ['group:default/platform'],
  owner: 'group:team-a/payments',
  productionLike: true,
  build: '1.4.0',
};

describe('who hears about a promotion', () => {
  it('asks the approver groups, leaving out the people behind it (a CI requester is no user)', () => {
    const [intent] = promotionNotifications(promotion({}), context);
    expect(intent).toMatchObject({
      kind: 'approval-requested',
      to: ['group:default/platform'],
      exclude: ['user:default/dave', 'user:default/carol'],
      link: '/catalog/team-a/component/payments-api/delivery?promotion=p1',
      scope: 'delivery:approval:p1',
    });
  });

  it('excludes a requesting user too', () => {
    const [intent] = promotionNotifications(
      promotion({ requestedBy: 'user:default/erin', people: [] }),
      context,
    );
    expect(intent.exclude).toEqual(['user:default/erin']);
  });

  it('withdraws the request, in the same scope, when it is decided either way', () => {
    for (const state of ['approved', 'rejected', 'aborted'] as const) {
      const [intent] = promotionNotifications(promotion({ state }), {
        ...context,
        from: 'awaiting-approval',
      });
      expect(intent).toMatchObject({
        kind: 'approval-requested',
        scope: 'delivery:approval:p1',
        severity: 'low',
        title: 'No approval needed any more: payments-api 1.4.0 → Production',
      });
    }
  });

  it('tells the owner of refusals, failures, errors, rollbacks and production releases only', () => {
    const kinds = (
      state: Promotion['state'],
      kind: Promotion['kind'] = 'normal',
      productionLike = true,
    ) =>
      promotionNotifications(promotion({ state, kind }), {
        ...context,
        from: 'verifying',
        productionLike,
      }).map(i => [i.kind, i.to, i.title]);
    expect(kinds('failed')).toEqual([
      [
        'promotion-problem',
        ['group:team-a/payments'],
        'Promotion failed: payments-api 1.4.0 → Production',
      ],
    ]);
    expect(kinds('errored')[0][2]).toBe(
      'Promotion errored: payments-api 1.4.0 → Production',
    );
    expect(kinds('rolled-back')[0][2]).toBe(
      'Rolled back: payments-api 1.4.0 → Production',
    );
    expect(kinds('succeeded', 'rollback')[0][2]).toBe(
      'Rollback done: payments-api 1.4.0 → Production',
    );
    expect(kinds('succeeded')).toEqual([
      [
        'production-release',
        ['group:team-a/payments'],
        'Released: payments-api 1.4.0 → Production',
      ],
    ]);
    expect(kinds('succeeded', 'normal', false)).toEqual([]);
    expect(kinds('deploying')).toEqual([]);
  });

  it('warns a preview’s requester, but never a CI service', () => {
    const preview = {
      id: 'v1',
      componentRef: 'component:default/search',
      namespace: 'pr-search-9',
      requestedBy: 'user:default/alice',
      expiresAt: 3_600_000,
      pullRequest: 9,
    };
    expect(previewNotification(preview, 'expiring', 0)).toEqual([
      expect.objectContaining({
        kind: 'preview-expiring',
        to: ['user:default/alice'],
        title: 'Preview of search (pull request #9) expires in 60 min',
        link: deliveryLink('component:default/search', { preview: 'v1' }),
      }),
    ]);
    expect(
      previewNotification(
        { ...preview, requestedBy: 'service:ci' },
        'reaped',
        0,
      ),
    ).toEqual([]);
  });
});

describe('delivery.notifications', () => {
  it('has defaults a team wants, and lets each kind be turned off or its severity set', () => {
    const defaults = readNotifications(undefined);
    expect(defaults.kinds['production-release'].enabled).toBe(false);
    expect(defaults.kinds['approval-requested']).toEqual({
      enabled: true,
      severity: 'high',
    });
    expect(defaults.previewWarningMs).toBe(3_600_000);
    const set = readNotifications(
      new ConfigReader({
        previewWarning: '30m',
        kinds: {
          drift: { enabled: false },
          quarantine: { severity: 'critical' },
        },
      }),
    );
    expect(set.kinds.drift.enabled).toBe(false);
    expect(set.kinds.quarantine).toEqual({
      enabled: true,
      severity: 'critical',
    });
    expect(set.previewWarningMs).toBe(1_800_000);
    expect(() =>
      readNotifications(new ConfigReader({ kinds: { approvals: {} } })),
    ).toThrow(
      "Invalid delivery config at 'delivery.notifications.kinds.approvals': unknown key",
    );
    expect(() =>
      readNotifications(
        new ConfigReader({ kinds: { drift: { severity: 'loud' } } }),
      ),
    ).toThrow("'loud' is not one of critical, high, normal, low");
  });
});
