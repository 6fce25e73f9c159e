import { Entity } from '@backstage/catalog-model';
import {
  actorName,
  artifactLabel,
  commitUrl,
  formatSeconds,
  pullRequestUrl,
  relativeTime,
  shortDigest,
} from './format';

const entity = (location?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'x',
    annotations: location ? { 'backstage.io/source-location': location } : {},
  },
});

describe('format', () => {
  it('shortens digests and names actors', () => {
    expect(shortDigest(`sha256:${'a'.repeat(64)}`)).toBe(
      'sha256:aaaaaaaaaaaa…',
    );
    expect(actorName('user:default/alice')).toBe('alice');
    expect(actorName('github-actions')).toBe('github-actions');
    expect(
      artifactLabel({ tags: ['1.2.3', 'stable'], digest: 'sha256:ab' }),
    ).toBe('1.2.3, stable');
    expect(
      artifactLabel({ tags: [], digest: `sha256:${'b'.repeat(64)}` }),
    ).toBe('sha256:bbbbbbbbbbbb…');
  });

  it('formats durations and relative times', () => {
    expect(formatSeconds(4800)).toBe('1 h 20 min');
    expect(formatSeconds(183600)).toBe('2 d 3 h');
    expect(formatSeconds(30)).toBe('30 s');
    expect(
      relativeTime('2026-11-27T09:00:00Z', Date.parse('2026-11-27T12:00:00Z')),
    ).toBe('3 hours ago');
  });

  it('links commits on GitHub and GitLab', () => {
    expect(
      commitUrl(
        entity('url:https://github.com/acme/payments-api/tree/main/'),
        'abc',
      ),
    ).toBe('https://github.com/acme/payments-api/commit/abc');
    expect(
      commitUrl(entity('url:https://gitlab.com/acme/checkout'), 'abc'),
    ).toBe('https://gitlab.com/acme/checkout/-/commit/abc');
    expect(
      commitUrl(entity('url:https://bitbucket.org/acme/x'), 'abc'),
    ).toBeUndefined();
    expect(commitUrl(entity(), 'abc')).toBeUndefined();
  });

  it('links pull requests from the project slug or the source location', () => {
    const slugged: Entity = {
      ...entity('url:https://gitlab.com/acme/ignored'),
      metadata: {
        name: 'x',
        annotations: { 'github.com/project-slug': 'acme/checkout-web' },
      },
    };
    expect(pullRequestUrl(slugged, 42)).toBe(
      'https://github.com/acme/checkout-web/pull/42',
    );
    expect(
      pullRequestUrl(entity('url:https://gitlab.com/acme/checkout.git'), 7),
    ).toBe('https://gitlab.com/acme/checkout/-/merge_requests/7');
    expect(pullRequestUrl(entity(), 7)).toBeUndefined();
  });
});
