import { mockCredentials } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { deliveryPermissions } from '@backstage-delivery/plugin-delivery-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { DeliveryPermissionPolicy } from './policy';
import { DEFAULT_AUDIENCES, readPolicySettings } from './rules';

const GROUPS: Record<string, string[]> = {
  // An owner through a sub-team: ownershipEntityRefs carry the parent group.
  'user:default/alice': [
    'group:default/payments-backend',
    'group:default/team-payments',
  ],
  'user:default/carol': ['group:default/platform'],
  'user:default/mallory': ['group:default/team-storefront'],
};

function policy(config: object = {}) {
  const userInfo = {
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
      };
    },
  };
  return new DeliveryPermissionPolicy(
    readPolicySettings(new ConfigReader({ delivery: config })),
    userInfo,
  );
}

const asUser = (name: string) => {
  const credentials = mockCredentials.user(`user:default/${name}`);
  return { credentials, info: undefined as any };
};

/** What a decision means for someone reading the README's table. */
function meaning(decision: any): string {
  if (decision.result === AuthorizeResult.ALLOW) return 'allow';
  if (decision.result === AuthorizeResult.DENY) return 'deny';
  if (decision.conditions?.not) {
    const { rule, params } = decision.conditions.not;
    return `unless ${rule}: ${params.names.join(', ')}`;
  }
  const claims = decision.conditions?.params?.claims ?? [];
  return `if owner (${decision.conditions?.rule}: ${claims.join(', ')})`;
}

describe('DeliveryPermissionPolicy', () => {
  const byName = Object.fromEntries(deliveryPermissions.map(p => [p.name, p]));

  it('covers every delivery permission, and nothing else', () => {
    expect(Object.keys(DEFAULT_AUDIENCES).sort()).toEqual(
      deliveryPermissions.map(p => p.name).sort(),
    );
  });

  it.each([
    // permission, owner (through a parent group), platform, unrelated user
    ['delivery.ledger.read', 'allow', 'allow', 'allow'],
    ['delivery.artifact.record', 'owner', 'allow', 'owner'],
    ['delivery.promotion.report', 'owner', 'allow', 'owner'],
    ['delivery.promotion.request', 'owner', 'allow', 'owner'],
    ['delivery.promotion.approve', 'allow', 'allow', 'allow'],
    ['delivery.promotion.rollback', 'owner', 'allow', 'owner'],
    ['delivery.promotion.abort', 'owner', 'allow', 'owner'],
    ['delivery.artifact.quarantine', 'owner', 'allow', 'owner'],
    ['delivery.artifact.lift', 'deny', 'allow', 'deny'],
    ['delivery.promotion.override', 'deny', 'allow', 'deny'],
    ['delivery.preview.manage', 'owner', 'allow', 'owner'],
    // Every environment, unless `environments` closes some (below).
    ['delivery.environment.deploy', 'allow', 'allow', 'allow'],
  ])(
    '%s: owner %s, platform %s, others %s',
    async (name, owner, platform, other) => {
      const p = policy();
      const permission = byName[name];
      const decide = async (user: string) =>
        meaning(await p.handle({ permission }, asUser(user)));
      const expected = (what: string, user: string) =>
        what === 'owner'
          ? `if owner (IS_ENTITY_OWNER: ${[
              `user:default/${user}`,
              ...(GROUPS[`user:default/${user}`] ?? []),
            ].join(', ')})`
          : what;
      expect(await decide('alice')).toBe(expected(owner, 'alice'));
      expect(await decide('carol')).toBe(platform);
      expect(await decide('mallory')).toBe(expected(other, 'mallory'));
      // CI: allowed here, narrowed by its token's accessRestrictions.
      expect(meaning(await p.handle({ permission }))).toBe('allow');
    },
  );

  it('closes environments by name: to all but the platform groups, or to everyone', async () => {
    const p = policy({
      permissionPolicy: {
        environments: {
          production: 'platform',
          legacy: 'nobody',
          dev: 'everyone',
        },
      },
    });
    const permission = byName['delivery.environment.deploy'];
    const decide = async (user: string) =>
      meaning(await p.handle({ permission }, asUser(user)));
    expect(await decide('alice')).toBe(
      'unless IS_ENVIRONMENT: legacy, production',
    );
    expect(await decide('carol')).toBe('unless IS_ENVIRONMENT: legacy');
    expect(meaning(await p.handle({ permission }))).toBe('allow'); // CI
    const decision: any = await p.handle({ permission }, asUser('alice'));
    expect(decision).toMatchObject({
      pluginId: 'delivery',
      resourceType: 'delivery-environment',
    });
    expect(() =>
      policy({ permissionPolicy: { environments: { production: 'owners' } } }),
    ).toThrow(
      "delivery.permissionPolicy.environments.production: 'owners' is not one of everyone, platform, nobody",
    );
    expect(() =>
      policy({
        permissionPolicy: {
          permissions: { 'delivery.environment.deploy': 'owners' },
        },
      }),
    ).toThrow('an environment has no owners');
  });

  it('leaves other plugins to allow, or denies them when configured', async () => {
    const catalogRead = {
      type: 'basic' as const,
      name: 'catalog.entity.create',
      attributes: {},
    };
    expect(
      meaning(
        await policy().handle({ permission: catalogRead }, asUser('mallory')),
      ),
    ).toBe('allow');
    expect(
      meaning(
        await policy({ permissionPolicy: { otherPermissions: 'deny' } }).handle(
          { permission: catalogRead },
          asUser('mallory'),
        ),
      ),
    ).toBe('deny');
  });

  it('takes other platform groups and audiences from config, and refuses nonsense', async () => {
    const p = policy({
      permissionPolicy: {
        platformGroups: ['group:default/team-storefront'],
        permissions: {
          'delivery.artifact.lift': 'owners',
          'delivery.promotion.override': 'nobody',
        },
      },
    });
    expect(
      meaning(
        await p.handle(
          { permission: byName['delivery.promotion.override'] },
          asUser('mallory'),
        ),
      ),
    ).toBe('deny');
    expect(
      meaning(
        await p.handle(
          { permission: byName['delivery.artifact.lift'] },
          asUser('mallory'),
        ),
      ),
    ).toBe('allow');
    expect(() =>
      policy({
        permissionPolicy: { permissions: { 'delivery.nope': 'owners' } },
      }),
    ).toThrow(
      'delivery.permissionPolicy.permissions.delivery.nope: not a delivery permission',
    );
    expect(() =>
      policy({
        permissionPolicy: { permissions: { 'delivery.ledger.read': 'admins' } },
      }),
    ).toThrow("'admins' is not one of everyone, owners, platform, nobody");
  });
});
