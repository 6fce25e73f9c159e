import { urlRefusal } from './inputs';

describe('urlRefusal', () => {
  it('accepts https, and http only when allowed', () => {
    expect(urlRefusal('buildUrl', 'https://ci/1', false)).toBeUndefined();
    expect(urlRefusal('buildUrl', undefined, false)).toBeUndefined();
    expect(urlRefusal('buildUrl', 'http://ci/1', true)).toBeUndefined();
    expect(urlRefusal('buildUrl', 'http://ci/1', false)).toBe(
      'buildUrl must be an https URL, not http (set delivery.allowHttpUrls to accept http links)',
    );
    expect(urlRefusal('url', ['javascript', 'alert(1)'].join(':'), true)).toBe(
      'url must be an https URL, not javascript',
    );
  });
});
