import { formatDuration, listInWords, shortDigest } from './describe';

describe('wording helpers', () => {
  it('shortens digests', () => {
    expect(shortDigest(`sha256:${'a'.repeat(64)}`)).toBe(
      'sha256:aaaaaaaaaaaa…',
    );
    expect(shortDigest('abc')).toBe('abc');
  });

  it('formats durations', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(20 * 60_000)).toBe('20 min');
    expect(formatDuration(80 * 60_000)).toBe('1 h 20 min');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(76 * 3600_000)).toBe('3 d 4 h');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('lists in words', () => {
    expect(listInWords([])).toBe('');
    expect(listInWords(['dev'])).toBe('dev');
    expect(listInWords(['dev', 'staging'])).toBe('dev and staging');
    expect(listInWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
