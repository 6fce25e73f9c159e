import { Config } from '@backstage/config';

/**
 * Who, among signed-in users, holds a delivery permission:
 * - `everyone`: every user (the domain still decides, e.g. approver groups);
 * - `owners`: the component's owners (directly or through a group in their
 *   `ownershipEntityRefs`) and the platform groups;
 * - `platform`: members of the platform groups only;
 * - `nobody`.
 *
 * Service principals (CI tokens) are not judged here: their
 * `accessRestrictions` in `backend.auth.externalAccess` say what they may do.
 *
 * @public
 */
export type Audience = 'everyone' | 'owners' | 'platform' | 'nobody';

/**
 * The default policy: what a platform team would ship. One source of truth
 * for the policy, its tests and the README's table.
 *
 * @public
 */
export const DEFAULT_AUDIENCES: Readonly<Record<string, Audience>> = {
  'delivery.ledger.read': 'everyone',
  'delivery.artifact.record': 'owners',
  'delivery.promotion.report': 'owners',
  'delivery.promotion.request': 'owners',
  'delivery.promotion.approve': 'everyone',
  'delivery.promotion.rollback': 'owners',
  'delivery.promotion.abort': 'owners',
  'delivery.artifact.quarantine': 'owners',
  'delivery.artifact.lift': 'platform',
  'delivery.promotion.override': 'platform',
  'delivery.preview.manage': 'owners',
  // Where a change goes (the environment's name is the resource); who may,
  // per environment, is `environments`. The component's permission applies too.
  'delivery.environment.deploy': 'everyone',
};

/** Permissions whose resource is an environment, not a component. */
const ENVIRONMENT_PERMISSIONS = ['delivery.environment.deploy'];

const AUDIENCES: Audience[] = ['everyone', 'owners', 'platform', 'nobody'];

/** @public */
export interface PolicySettings {
  /** Entity refs of the platform groups, e.g. `group:default/platform`. */
  platformGroups: string[];
  /** Audience per delivery permission. */
  audiences: Record<string, Audience>;
  /** What other plugins' permissions get: `allow` (as the allow-all policy) or `deny`. */
  otherPermissions: 'allow' | 'deny';
  /**
   * Who may change what runs in an environment, by its name (the permission
   * `delivery.environment.deploy`): everyone (the default), platform or nobody.
   */
  environments: Record<string, EnvironmentAudience>;
}

/** @public */
export type EnvironmentAudience = 'everyone' | 'platform' | 'nobody';

/**
 * Reads `delivery.permissionPolicy`.
 *
 * @public
 */
export function readPolicySettings(config: Config): PolicySettings {
  const path = 'delivery.permissionPolicy';
  const policy = config.getOptionalConfig(path);
  const audiences = { ...DEFAULT_AUDIENCES };
  // Permission names contain dots, so the block is read as a plain object.
  const overrides = (policy?.getOptional('permissions') ?? {}) as Record<
    string,
    unknown
  >;
  for (const [name, audience] of Object.entries(overrides)) {
    if (!(name in DEFAULT_AUDIENCES)) {
      throw new Error(
        `${path}.permissions.${name}: not a delivery permission; use ${Object.keys(
          DEFAULT_AUDIENCES,
        ).join(', ')}`,
      );
    }
    if (ENVIRONMENT_PERMISSIONS.includes(name) && audience === 'owners') {
      throw new Error(
        `${path}.permissions.${name}: an environment has no owners; use everyone, platform or nobody (and environments for per-environment rules)`,
      );
    }
    if (!AUDIENCES.includes(audience as Audience)) {
      throw new Error(
        `${path}.permissions.${name}: '${audience}' is not one of ${AUDIENCES.join(
          ', ',
        )}`,
      );
    }
    audiences[name] = audience as Audience;
  }
  const other = policy?.getOptionalString('otherPermissions') ?? 'allow';
  if (other !== 'allow' && other !== 'deny') {
    throw new Error(
      `${path}.otherPermissions: use allow or deny, not '${other}'`,
    );
  }
  const environments: Record<string, EnvironmentAudience> = {};
  const byName = policy?.getOptionalConfig('environments');
  for (const name of byName?.keys() ?? []) {
    const audience = byName!.getString(name);
    if (!['everyone', 'platform', 'nobody'].includes(audience)) {
      throw new Error(
        `${path}.environments.${name}: '${audience}' is not one of everyone, platform, nobody`,
      );
    }
    environments[name] = audience as EnvironmentAudience;
  }
  return {
    platformGroups: policy?.getOptionalStringArray('platformGroups') ?? [
      'group:default/platform',
    ],
    audiences,
    otherPermissions: other,
    environments,
  };
}
