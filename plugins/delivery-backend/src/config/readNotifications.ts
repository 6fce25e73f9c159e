import { Config } from '@backstage/config';
import {
  DEFAULT_NOTIFICATION_KINDS,
  NOTIFICATION_KINDS,
  NotificationKind,
  NotificationSettings,
  Severity,
} from '../domain/notifications';
import { checkKeys, duration, invalid } from './configReader';

const SEVERITIES: Severity[] = ['critical', 'high', 'normal', 'low'];

/** `delivery.notifications`: each kind on or off and its severity; the preview and drift lead times. */
export function readNotifications(
  config: Config | undefined,
): NotificationSettings {
  const path = 'delivery.notifications';
  checkKeys(config, path, ['enabled', 'kinds', 'previewWarning', 'driftAfter']);
  const kinds = { ...DEFAULT_NOTIFICATION_KINDS };
  const configured = config?.getOptionalConfig('kinds');
  checkKeys(configured, `${path}.kinds`, [...NOTIFICATION_KINDS]);
  for (const kind of configured?.keys() ?? []) {
    const key = `${path}.kinds.${kind}`;
    const c = configured!.getConfig(kind);
    checkKeys(c, key, ['enabled', 'severity']);
    const severity = c.getOptionalString('severity');
    if (severity !== undefined && !SEVERITIES.includes(severity as Severity)) {
      throw invalid(
        `${key}.severity`,
        `'${severity}' is not one of ${SEVERITIES.join(', ')}`,
      );
    }
    const defaults = kinds[kind as NotificationKind];
    kinds[kind as NotificationKind] = {
      enabled: c.getOptionalBoolean('enabled') ?? defaults.enabled,
      severity: (severity as Severity | undefined) ?? defaults.severity,
    };
  }
  return {
    enabled: config?.getOptionalBoolean('enabled') ?? true,
    kinds,
    previewWarningMs: duration(config, 'previewWarning', path, 3_600_000),
    driftAfterMs: duration(config, 'driftAfter', path, 15 * 60_000),
  };
}
