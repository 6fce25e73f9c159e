import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockServices } from '@backstage/backend-test-utils';
import { createPeopleDirectory, matchPeople } from './people';

const user = (
  name: string,
  options: { email?: string; login?: string; groups?: string[] },
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: {
    name,
    annotations: options.login
      ? { 'github.com/user-login': options.login }
      : undefined,
  },
  spec: { profile: { email: options.email } },
  relations: (options.groups ?? []).map(g => ({
    type: 'memberOf',
    targetRef: g,
  })),
});

const users = [
  user('dave', { email: 'dave@acme.example', groups: ['group:default/pay'] }),
  user('carol', { login: 'Carol-GH', groups: ['group:default/platform'] }),
  user('eve', { email: 'eve@acme.example' }),
];

describe('matchPeople', () => {
  it('matches by GitHub login or e-mail, case-insensitively, and collects direct groups', () => {
    expect(
      matchPeople(
        [
          { role: 'triggered-by', login: 'carol-gh' },
          { role: 'commit-author', email: 'DAVE@acme.example', login: 'x' },
        ],
        users,
      ),
    ).toEqual({
      people: [
        {
          ref: 'user:default/carol',
          role: 'triggered-by',
          matchedBy: 'GitHub login carol-gh',
        },
        {
          ref: 'user:default/dave',
          role: 'commit-author',
          matchedBy: 'e-mail DAVE@acme.example',
        },
      ],
      teams: ['group:default/pay', 'group:default/platform'],
    });
  });

  it('matches nobody for identities the catalog does not know', () => {
    expect(
      matchPeople([{ role: 'commit-author', email: 'nobody@x' }], users),
    ).toEqual({ people: [], teams: [] });
  });
});

describe('createPeopleDirectory', () => {
  it('finds users in the catalog by their profile e-mail and login annotation', async () => {
    const directory = createPeopleDirectory({
      catalog: catalogServiceMock({ entities: users }),
      auth: mockServices.auth(),
    });
    const { people } = await directory.match([
      { role: 'commit-author', email: 'dave@acme.example' },
      { role: 'triggered-by', login: 'Carol-GH' },
    ]);
    expect(people.map(p => p.ref).sort()).toEqual([
      'user:default/carol',
      'user:default/dave',
    ]);
    expect(await directory.match([])).toEqual({ people: [], teams: [] });
  });
});
