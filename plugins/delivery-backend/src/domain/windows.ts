import { DateTime } from 'luxon';
import type { DeployWindows } from '../config/types';

export type WindowCheck =
  | { open: true }
  | { open: false; why: 'freeze'; until: number; reason?: string }
  | { open: false; why: 'outside'; nextOpen?: number; windows: string[] };

function inWindow(
  days: number[],
  fromMinute: number,
  toMinute: number,
  local: DateTime,
): boolean {
  const minute = local.hour * 60 + local.minute;
  if (fromMinute < toMinute) {
    return (
      days.includes(local.weekday) && minute >= fromMinute && minute < toMinute
    );
  }
  // Overnight window, e.g. 22:00-02:00: the evening part belongs to the
  // listed day, the early-morning part to the day after it.
  if (minute >= fromMinute) return days.includes(local.weekday);
  if (minute < toMinute) {
    return days.includes(local.minus({ days: 1 }).weekday);
  }
  return false;
}

/** Whether deployments are allowed at `now`, and if not, until when. */
export function checkWindows(
  windows: DeployWindows | undefined,
  now: number,
): WindowCheck {
  if (!windows) return { open: true };
  const freeze = windows.freezes.find(f => now >= f.from && now < f.to);
  if (freeze) {
    return {
      open: false,
      why: 'freeze',
      until: freeze.to,
      reason: freeze.reason,
    };
  }
  if (windows.allow.length === 0) return { open: true };
  const local = DateTime.fromMillis(now, { zone: windows.timezone });
  if (
    windows.allow.some(w => inWindow(w.days, w.fromMinute, w.toMinute, local))
  ) {
    return { open: true };
  }
  let nextOpen: number | undefined;
  for (let d = 0; d <= 7; d++) {
    const day = local.startOf('day').plus({ days: d });
    for (const w of windows.allow) {
      if (!w.days.includes(day.weekday)) continue;
      const start = day.set({
        hour: Math.floor(w.fromMinute / 60),
        minute: w.fromMinute % 60,
      });
      if (
        start.toMillis() > now &&
        (nextOpen === undefined || start.toMillis() < nextOpen)
      ) {
        nextOpen = start.toMillis();
      }
    }
  }
  return {
    open: false,
    why: 'outside',
    nextOpen,
    windows: windows.allow.map(w => w.label),
  };
}

/** `Mon 4 Jan 08:00 Europe/Berlin`. */
export function formatLocal(at: number, timezone: string): string {
  return `${DateTime.fromMillis(at, { zone: timezone }).toFormat(
    'ccc d LLL HH:mm',
  )} ${timezone}`;
}
