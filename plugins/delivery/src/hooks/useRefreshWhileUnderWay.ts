import { useEffect, useRef } from 'react';
import { Overview } from '../api';

/** Promotion states in which something happens without anyone acting. */
const UNDER_WAY = ['approved', 'deploying', 'verifying'];

/** How often an open tab follows a promotion under way. */
export const UNDER_WAY_REFRESH_MS = 3000;

/**
 * While a promotion is approved, deploying or verifying, reloads the overview
 * every few seconds (`refresh`), so the ladder follows the executor, unless
 * `poll` is false (signals bring every change); once nothing is under way
 * any more, calls `settled` once (to reload the lists).
 */
export function useRefreshWhileUnderWay(
  overview: Overview | undefined,
  refresh: () => void,
  settled: () => void,
  poll: boolean = true,
) {
  const underWay = Boolean(
    overview?.environments.some(
      e => e.activePromotion && UNDER_WAY.includes(e.activePromotion.state),
    ),
  );
  const wasUnderWay = useRef(false);
  useEffect(() => {
    if (wasUnderWay.current && !underWay) settled();
    wasUnderWay.current = underWay;
  }, [underWay, settled]);
  useEffect(() => {
    if (!underWay || !poll) return undefined;
    const timer = setInterval(refresh, UNDER_WAY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [underWay, refresh, poll]);
  return underWay;
}
