import type { DeployWindows } from '../config/types';
import { checkWindows } from './windows';

const nights: DeployWindows = {
  timezone: 'UTC',
  allow: [
    {
      days: [5],
      fromMinute: 22 * 60,
      toMinute: 2 * 60,
      label: 'fri 22:00-02:00 UTC',
    },
  ],
  freezes: [],
};

describe('checkWindows', () => {
  it('is open without windows', () => {
    expect(checkWindows(undefined, Date.now())).toEqual({ open: true });
  });

  it('handles windows that run past midnight', () => {
    // Friday 23:00 and Saturday 01:00 belong to Friday's window.
    expect(checkWindows(nights, Date.parse('2026-11-27T23:00:00Z')).open).toBe(
      true,
    );
    expect(checkWindows(nights, Date.parse('2026-11-28T01:00:00Z')).open).toBe(
      true,
    );
    // Saturday 23:00 does not.
    expect(checkWindows(nights, Date.parse('2026-11-28T23:00:00Z'))).toEqual({
      open: false,
      why: 'outside',
      nextOpen: Date.parse('2026-12-04T22:00:00Z'),
      windows: ['fri 22:00-02:00 UTC'],
    });
  });

  it('treats the end of a window and of a freeze as exclusive', () => {
    expect(checkWindows(nights, Date.parse('2026-11-28T02:00:00Z')).open).toBe(
      false,
    );
    const frozen: DeployWindows = {
      timezone: 'UTC',
      allow: [],
      freezes: [{ from: 1000, to: 2000 }],
    };
    expect(checkWindows(frozen, 1999)).toMatchObject({
      open: false,
      why: 'freeze',
      until: 2000,
    });
    expect(checkWindows(frozen, 2000)).toEqual({ open: true });
  });

  it('follows daylight saving time in the configured zone', () => {
    const berlin: DeployWindows = {
      timezone: 'Europe/Berlin',
      allow: [
        {
          days: [1, 2, 3, 4, 5, 6, 7],
          fromMinute: 9 * 60,
          toMinute: 10 * 60,
          label: '',
        },
      ],
      freezes: [],
    };
    // 09:30 local is 08:30 UTC in winter and 07:30 UTC in summer.
    expect(checkWindows(berlin, Date.parse('2026-01-15T08:30:00Z')).open).toBe(
      true,
    );
    expect(checkWindows(berlin, Date.parse('2026-07-15T07:30:00Z')).open).toBe(
      true,
    );
    expect(checkWindows(berlin, Date.parse('2026-07-15T08:30:00Z')).open).toBe(
      false,
    );
  });
});
