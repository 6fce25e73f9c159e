import Button, { ButtonProps } from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';

/**
 * A button that is disabled, with a tooltip saying why, when `blockedBecause`
 * is set. The tooltip wraps a span so that it shows for a disabled button,
 * and the reason is also the button's accessible description.
 */
export function GuardedButton(
  props: ButtonProps & { blockedBecause?: string },
) {
  const { blockedBecause, ...buttonProps } = props;
  if (!blockedBecause) {
    return <Button size="small" variant="outlined" {...buttonProps} />;
  }
  return (
    <Tooltip title={blockedBecause}>
      <span>
        <Button
          size="small"
          variant="outlined"
          {...buttonProps}
          disabled
          aria-description={blockedBecause}
        />
      </span>
    </Tooltip>
  );
}
