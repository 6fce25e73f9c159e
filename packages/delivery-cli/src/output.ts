/** Where the CLI writes, and what it reads from its environment. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Results go to stdout: words for people, or one JSON document with --json.
 * Progress and warnings go to stderr, so that stdout stays parseable.
 */
export class Output {
  constructor(private readonly io: CliIO, readonly json: boolean) {}

  /** The command's result. */
  result(value: unknown, lines: string[]): void {
    if (this.json) {
      this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    } else {
      for (const line of lines) this.io.stdout(`${line}\n`);
    }
  }

  progress(line: string): void {
    this.io.stderr(`${line}\n`);
  }
}

/** `sha256:abcdef012345…`. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':', 2);
  return hex && hex.length > 12 ? `${algorithm}:${hex.slice(0, 12)}…` : digest;
}

/** `90s`, `30m`, `2h`, `1d` (or a plain number of seconds) in milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (match[2] ?? 's') as 's' | 'm' | 'h' | 'd'
  ];
  return Number(match[1]) * unit;
}

/** `1 h 5 min`, `45 s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  if (m) return s ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}
