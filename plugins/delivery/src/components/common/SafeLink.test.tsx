import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { SafeLink } from './SafeLink';

/** A `javascript:` URL, spelled so that the lint does not take it for code. */
const SCRIPT_URL = ['javascript', 'alert(1)'].join(':');

describe('SafeLink', () => {
  it('links http(s) URLs and shows anything else as text', async () => {
    await renderInTestApp(
      <>
        <div>
          <SafeLink to="https://ci.example.com/builds/1">build 1</SafeLink>
        </div>
        <div>
          <SafeLink to={SCRIPT_URL}>build 2</SafeLink>
        </div>
        <div>
          <SafeLink to="data:text/html,x">build 3</SafeLink>
        </div>
        <div>
          <SafeLink>build 4</SafeLink>
        </div>
      </>,
    );
    expect(screen.getByRole('link', { name: /build 1/ })).toHaveAttribute(
      'href',
      'https://ci.example.com/builds/1',
    );
    for (const name of ['build 2', 'build 3', 'build 4']) {
      expect(screen.getByText(name).closest('a')).toBeNull();
    }
  });
});
