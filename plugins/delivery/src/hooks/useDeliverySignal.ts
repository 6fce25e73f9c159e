import { useSignal } from '@backstage/plugin-signals-react';
import { useEffect } from 'react';

/** The signal channel of a component's delivery (the backend publishes on it). */
export function deliveryChannel(componentRef: string): string {
  return `delivery:${componentRef}`;
}

/**
 * Calls `changed` whenever the delivery backend signals a change of the
 * component (its ledger, or a step of an execution). Returns whether
 * signals are available; without them, callers poll.
 */
export function useDeliverySignal(
  componentRef: string,
  changed: () => void,
): boolean {
  const { lastSignal, isSignalsAvailable } = useSignal(
    deliveryChannel(componentRef),
  );
  useEffect(() => {
    if (lastSignal) changed();
    // Each signal is a new object: refresh once per signal.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastSignal]);
  return isSignalsAvailable;
}
