import {
  AuditorService,
  AuditorServiceEventSeverityLevel,
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  CustomErrorBase,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import { deliveryReadPermission } from '@backstage-delivery/plugin-delivery-common';
import { ApiRouter as TypedApiRouter } from '@backstage/backend-openapi-utils';
import express from 'express';
import { catalogAs, ComponentCatalog } from '../../catalog/catalog';
import { Actor } from '../../domain/types';
import { spec } from '../../schema/openapi/generated/router';

/** The typed router of the API contract. */
export type ApiRouter = TypedApiRouter<typeof spec>;

/** Any express request, whatever the typed router inferred for it. */
export type Request = express.Request<any, any, any, any, any>;

/** Auditor event ids of the plugin's mutations. */
export type AuditEventId =
  | 'artifact-mutate'
  | 'promotion-mutate'
  | 'preview-mutate';

/** A request the gates refused: recorded, and an outcome the auditor sees as a failure. */
export class PromotionRefusedError extends CustomErrorBase {
  name = 'PromotionRefusedError' as const;
}

/** What every route does before and around its domain call. */
export interface RequestContext {
  /** The caller's credentials and who they are (401 without, 403 if not allowed here). */
  caller(
    req: Request,
    allow: Array<'user' | 'service'>,
  ): Promise<{ credentials: BackstageCredentials; actor: Actor }>;
  /**
   * The caller of a read route, once allowed to read the ledger (401/403
   * otherwise), and the catalog as the caller sees it.
   */
  reader(req: Request): Promise<{
    credentials: BackstageCredentials;
    actor: Actor;
    catalog: ComponentCatalog;
    /** The refs among these whose components the caller may see in the catalog. */
    visible(refs: string[]): Promise<Set<string>>;
    /**
     * 404 with `message` unless the caller sees the component in the
     * catalog: a component they may not see answers as one that does not
     * exist, so its existence does not leak.
     */
    requireVisible(ref: string, message: string): Promise<void>;
    /**
     * The catalog's conditions as a list filter: of these refs, the ones the
     * caller may see, or undefined when it may see them all, so that a list
     * query filters in the database and its pages stay full.
     */
    visibleFilter(refs: string[]): Promise<string[] | undefined>;
  }>;
  /** 403 unless the permission framework allows the caller. */
  authorize(
    credentials: BackstageCredentials,
    permission:
      | BasicPermission
      | ResourcePermission<'catalog-entity'>
      | ResourcePermission<'delivery-environment'>,
    /** The component's ref, or the environment's name for environment permissions. */
    componentRef?: string,
  ): Promise<void>;
  /**
   * Runs a mutation inside an audit event that records its outcome: success,
   * failure (the error is rethrown), or a refusal the call returns as its
   * result (recorded as a failure with the reason, and returned).
   */
  audited<T>(
    req: Request,
    event: {
      eventId: AuditEventId;
      severityLevel: AuditorServiceEventSeverityLevel;
      meta: JsonObject;
    },
    fn: () => Promise<T>,
    outcome?: {
      meta?: (result: T) => JsonObject;
      refusal?: (result: T) => string | undefined;
    },
  ): Promise<T>;
}

export function createRequestContext(deps: {
  auth: AuthService;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  auditor: AuditorService;
  catalog: CatalogService;
}): RequestContext {
  const { auth, httpAuth, userInfo, permissions, auditor } = deps;
  const ctx: RequestContext = {
    async reader(req) {
      const caller = await ctx.caller(req, ['user', 'service']);
      await ctx.authorize(caller.credentials, deliveryReadPermission);
      const catalog = catalogAs(deps.catalog, caller.credentials);
      // People see what the catalog shows them. Service principals (CI
      // tokens) are bounded by their accessRestrictions, which often do not
      // reach the catalog at all: delivery.ledger.read is their read scope.
      const visible = async (refs: string[]) =>
        caller.actor.type === 'service'
          ? new Set(refs)
          : new Set(
              (await catalog.byRefs([...new Set(refs)])).map(e =>
                stringifyEntityRef(e),
              ),
            );
      return {
        ...caller,
        catalog,
        visible,
        async requireVisible(ref, message) {
          if (!(await visible([ref])).has(ref)) {
            throw new NotFoundError(message);
          }
        },
        async visibleFilter(refs) {
          if (caller.actor.type === 'service') return undefined;
          const seen = await visible(refs);
          return seen.size === new Set(refs).size ? undefined : [...seen];
        },
      };
    },

    async caller(req, allow) {
      const credentials = await httpAuth.credentials(req, { allow });
      if (auth.isPrincipal(credentials, 'user')) {
        const info = await userInfo.getUserInfo(credentials);
        return {
          credentials,
          actor: {
            type: 'user',
            ref: info.userEntityRef,
            ownershipRefs: info.ownershipEntityRefs,
          },
        };
      }
      const principal = credentials.principal as { subject?: string };
      return {
        credentials,
        actor: {
          type: 'service',
          ref: principal.subject ?? 'service',
          ownershipRefs: [],
        },
      };
    },

    async authorize(credentials, permission, componentRef) {
      const [decision] =
        permission.type === 'resource'
          ? await permissions.authorize(
              [{ permission, resourceRef: componentRef! }],
              { credentials },
            )
          : await permissions.authorize(
              [{ permission: permission as BasicPermission }],
              { credentials },
            );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          `Missing permission ${permission.name}${
            componentRef ? ` for ${componentRef}` : ''
          }`,
        );
      }
    },

    async audited(req, options, fn, outcome) {
      const event = await auditor.createEvent({ ...options, request: req });
      let result;
      try {
        result = await fn();
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
      const refusal = outcome?.refusal?.(result);
      if (refusal) {
        await event.fail({ error: new PromotionRefusedError(refusal) });
      } else {
        await event.success({ meta: outcome?.meta?.(result) });
      }
      return result;
    },
  };
  return ctx;
}
