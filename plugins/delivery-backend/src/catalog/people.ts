import { AuthService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  RELATION_MEMBER_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import type { PersonBehind, ReportedIdentity } from '../domain/people';

/** The annotation that links a catalog user to their GitHub login. */
export const GITHUB_LOGIN_ANNOTATION = 'github.com/user-login';

/** Catalog users behind a change, and the groups they belong to. */
export interface PeopleMatch {
  people: PersonBehind[];
  /** Direct groups (memberOf) of the matched users. */
  teams: string[];
}

/**
 * The catalog's users, as separation of duties needs them: the people CI
 * names for a change (by e-mail or GitHub login), matched to catalog users
 * with the plugin's own credentials, so that an approver cannot hide from
 * the match by what they may see.
 */
export interface PeopleDirectory {
  match(identities: ReportedIdentity[]): Promise<PeopleMatch>;
}

const USER_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.annotations',
  'spec.profile.email',
  'relations',
];

const same = (a: unknown, b: string | undefined) =>
  typeof a === 'string' &&
  b !== undefined &&
  a.toLowerCase() === b.toLowerCase();

/** Matches reported identities to users (pure: the catalog query is separate). */
export function matchPeople(
  identities: ReportedIdentity[],
  users: Entity[],
): PeopleMatch {
  const people: PersonBehind[] = [];
  const matched = new Set<Entity>();
  for (const identity of identities) {
    for (const user of users) {
      const email = (user.spec?.profile as { email?: unknown } | undefined)
        ?.email;
      const login = user.metadata.annotations?.[GITHUB_LOGIN_ANNOTATION];
      let matchedBy: string | undefined;
      if (same(login, identity.login)) {
        matchedBy = `GitHub login ${identity.login}`;
      } else if (same(email, identity.email)) {
        matchedBy = `e-mail ${identity.email}`;
      }
      if (!matchedBy) continue;
      matched.add(user);
      people.push({
        ref: stringifyEntityRef(user),
        role: identity.role,
        matchedBy,
      });
    }
  }
  const teams = new Set<string>();
  for (const user of matched) {
    for (const relation of user.relations ?? []) {
      if (relation.type !== RELATION_MEMBER_OF) continue;
      const ref = parseEntityRef(relation.targetRef);
      if (ref.kind.toLowerCase() === 'group') teams.add(relation.targetRef);
    }
  }
  return { people, teams: [...teams].sort() };
}

/** The people directory over the catalog, with the plugin's own credentials. */
export function createPeopleDirectory(options: {
  catalog: CatalogService;
  auth: AuthService;
}): PeopleDirectory {
  return {
    async match(identities) {
      const filter: Array<Record<string, string>> = [];
      for (const { email, login } of identities) {
        if (email) filter.push({ kind: 'user', 'spec.profile.email': email });
        if (login) {
          filter.push({
            kind: 'user',
            [`metadata.annotations.${GITHUB_LOGIN_ANNOTATION}`]: login,
          });
        }
      }
      if (filter.length === 0) return { people: [], teams: [] };
      const { items } = await options.catalog.queryEntities(
        { filter, fields: USER_FIELDS, limit: 50 },
        { credentials: await options.auth.getOwnServiceCredentials() },
      );
      return matchPeople(identities, items);
    },
  };
}
