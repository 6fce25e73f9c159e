import { Link } from '@backstage/core-components';
import { ReactNode } from 'react';

/** Whether a URL from the ledger may become a link: http(s) only. */
export function isWebUrl(url: string | undefined): url is string {
  return !!url && /^https?:\/\//i.test(url);
}

/**
 * A link to a URL that came from the ledger (build, evidence, run links);
 * anything but http(s), such as `javascript:`, is shown as text, never as a
 * link.
 */
export function SafeLink(props: { to?: string; children: ReactNode }) {
  return isWebUrl(props.to) ? (
    <Link to={props.to}>{props.children}</Link>
  ) : (
    <>{props.children}</>
  );
}
