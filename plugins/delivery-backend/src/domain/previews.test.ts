import { extendedExpiry, parseTtl, previewNamespaceName } from './previews';

const HOUR = 3_600_000;

describe('preview rules', () => {
  it('reads lifetimes in minutes, hours and days, and says what is wrong otherwise', () => {
    expect(parseTtl('30m')).toEqual({ ok: true, ms: 30 * 60_000 });
    expect(parseTtl('4h')).toEqual({ ok: true, ms: 4 * HOUR });
    expect(parseTtl('2d')).toEqual({ ok: true, ms: 48 * HOUR });
    for (const bad of ['0h', '1.5h', 'h', '3w', '']) {
      expect(parseTtl(bad)).toEqual({
        ok: false,
        problem: `ttl '${bad}' is not a lifetime such as 30m, 4h or 2d`,
      });
    }
  });

  it('names namespaces as DNS labels of at most 63 characters', () => {
    expect(
      previewNamespaceName(
        'preview',
        'checkout',
        { pullRequest: 42 },
        'a1b2c3',
      ),
    ).toBe('preview-checkout-pr42-a1b2c3');
    expect(
      previewNamespaceName(
        'preview',
        'checkout',
        { branch: 'Feature/Fast_Checkout!' },
        'a1b2c3',
      ),
    ).toBe('preview-checkout-feature-fast-checkout-a1b2c3');
    const long = previewNamespaceName(
      'preview',
      'a-very-long-component-name-that-goes-on-and-on',
      { branch: 'and-a-branch-name-that-is-also-very-long' },
      'a1b2c3',
    );
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long.endsWith('-a1b2c3')).toBe(true);
  });

  it('extends up to the maximum lifetime from creation, and says when it capped', () => {
    const preview = { createdAt: 0 };
    expect(extendedExpiry(preview, 2 * HOUR, 72 * HOUR, 10 * HOUR)).toEqual({
      expiresAt: 12 * HOUR,
      capped: false,
    });
    expect(extendedExpiry(preview, 72 * HOUR, 72 * HOUR, 10 * HOUR)).toEqual({
      expiresAt: 72 * HOUR,
      capped: true,
    });
  });
});
