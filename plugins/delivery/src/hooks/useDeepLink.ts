import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';

/**
 * Brings the place a notification links to into view: `?promotion=<id>` or
 * `?preview=<id>` on the Delivery tab scrolls to that promotion (under way
 * or in the history) or preview once it is on the page, and marks it with
 * focus, once per link.
 */
export function useDeepLink(loaded: boolean) {
  const [params] = useSearchParams();
  const target = params.get('promotion')
    ? `promotion-${params.get('promotion')}`
    : params.get('preview') && `preview-${params.get('preview')}`;
  const done = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!loaded || !target || done.current === target) return undefined;
    // The lists load after the overview: look for a few seconds.
    let tries = 0;
    const timer = setInterval(() => {
      const element = document.getElementById(target);
      tries += 1;
      if (element) {
        element.scrollIntoView({ block: 'center' });
        element.setAttribute('tabindex', '-1');
        element.focus({ preventScroll: true });
        done.current = target;
      }
      if (element || tries > 20) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [loaded, target]);
}
