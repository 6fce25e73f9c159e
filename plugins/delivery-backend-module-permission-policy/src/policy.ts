import {
  BackstageUserInfo,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { RESOURCE_TYPE_DELIVERY_ENVIRONMENT } from '@backstage-delivery/plugin-delivery-common';
import { PolicySettings } from './rules';

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

function isPlatform(info: BackstageUserInfo, settings: PolicySettings) {
  return info.ownershipEntityRefs.some(ref =>
    settings.platformGroups.includes(ref),
  );
}

/**
 * The delivery permission policy: for users, each delivery permission is
 * held by its audience (see `rules.ts`); ownership is a conditional decision
 * on the component (the catalog's `isEntityOwner` over the user's
 * ownership refs), so the permission framework applies it per component and
 * to filtered lists. Service principals are allowed here and narrowed by
 * their access restrictions.
 *
 * @public
 */
export class DeliveryPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly settings: PolicySettings,
    private readonly userInfo: UserInfoService,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const audience = this.settings.audiences[permission.name];
    if (!audience) {
      return this.settings.otherPermissions === 'allow' ? ALLOW : DENY;
    }
    // No user: a service principal, limited by its accessRestrictions.
    if (!user) return ALLOW;
    const info = await this.userInfo.getUserInfo(user.credentials);
    if (permission.name === 'delivery.environment.deploy') {
      return this.environmentDecision(
        audience,
        isPlatform(info, this.settings),
      );
    }
    switch (audience) {
      case 'everyone':
        return ALLOW;
      case 'nobody':
        return DENY;
      case 'platform':
        return isPlatform(info, this.settings) ? ALLOW : DENY;
      case 'owners':
      default:
        if (isPlatform(info, this.settings)) return ALLOW;
        if (!isResourcePermission(permission, 'catalog-entity')) return DENY;
        return createCatalogConditionalDecision(
          permission,
          catalogConditions.isEntityOwner({
            claims: info.ownershipEntityRefs,
          }),
        );
    }
  }

  /**
   * Where a user may deploy: everywhere but the environments configured for
   * the platform groups (unless the user is in one) or for nobody, as a
   * conditional decision the delivery backend resolves with its
   * `IS_ENVIRONMENT` rule.
   */
  private environmentDecision(
    audience: string,
    platform: boolean,
  ): PolicyDecision {
    if (audience === 'nobody' || (audience === 'platform' && !platform)) {
      return DENY;
    }
    const closed = Object.entries(this.settings.environments)
      .filter(
        ([, who]) => who === 'nobody' || (who === 'platform' && !platform),
      )
      .map(([name]) => name)
      .sort();
    if (closed.length === 0) return ALLOW;
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'delivery',
      resourceType: RESOURCE_TYPE_DELIVERY_ENVIRONMENT,
      conditions: {
        not: {
          rule: 'IS_ENVIRONMENT',
          resourceType: RESOURCE_TYPE_DELIVERY_ENVIRONMENT,
          params: { names: closed },
        },
      },
    };
  }
}
