import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';

/**
 * User info as a sign-in resolver would give it: the user and the groups
 * listed for them here in their ownership refs.
 */
export function userInfoWithGroups(groups: Record<string, string[]> = {}) {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: any) {
        const ref = credentials.principal.userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: [ref, ...(groups[ref] ?? [])],
        };
      },
    }),
  });
}
