/*
 * What `make bench` gives its two replicas: configuration (PostgreSQL with a
 * database prefix of its own, Redis, a static token, the standard ladder as
 * app-config.yaml has it) and the catalog's 2,000 components.
 */
import { BENCH_LADDERS, benchComponent, benchOwner } from './seed';

export function portalConfig(options: {
  postgres: string;
  redis: string;
  prefix: string;
  token: string;
  /** Reported evidence is attributed to this subject. */
  subject: string;
  entities: string;
}) {
  return {
    backend: {
      database: {
        client: 'pg',
        connection: options.postgres,
        prefix: options.prefix,
      },
      cache: { store: 'redis', connection: options.redis },
      auth: {
        externalAccess: [
          {
            type: 'static',
            options: { token: options.token, subject: options.subject },
          },
        ],
      },
    },
    permission: { enabled: true },
    catalog: {
      rules: [{ allow: ['Component', 'Group'] }],
      locations: [{ type: 'file', target: options.entities }],
    },
    delivery: {
      demo: { file: '' },
      permissionPolicy: { platformGroups: ['group:default/platform'] },
      metrics: { organisationCacheTtl: '0s' },
      defaultExecutor: { type: 'external' },
      ladders: BENCH_LADDERS,
    },
  };
}

/** The catalog: groups of 50 components each, every component on the standard ladder. */
export function catalogEntities(components: number): string {
  const docs: object[] = [];
  for (let team = 0; team * 50 < components; team++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: benchOwner(team * 50) },
      spec: { type: 'team', children: [] },
    });
  }
  for (let c = 0; c < components; c++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: benchComponent(c).split('/')[1],
        annotations: { 'delivery.backstage.io/ladder': 'standard' },
      },
      spec: { type: 'service', lifecycle: 'production', owner: benchOwner(c) },
    });
  }
  return docs.map(d => `---\n${JSON.stringify(d)}\n`).join('');
}
