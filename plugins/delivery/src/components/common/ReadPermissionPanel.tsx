import { WarningPanel } from '@backstage/core-components';

/** What a viewer sees instead of delivery data they may not read (403). */
export function ReadPermissionPanel(props: {
  /** What they may not see, e.g. "this component's previews". */
  what: string;
}) {
  return (
    <WarningPanel
      severity="info"
      title={`You may not see ${props.what}`}
      message="Ask for the delivery.ledger.read permission."
    />
  );
}
