/*
 * A PostgreSQL server of a test's own (Debian's binaries), so that it can be
 * stopped and started without disturbing the other suites' database.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = '/usr/lib/postgresql/15/bin';

/**
 * Why this machine cannot run a PostgreSQL of a test's own, or undefined
 * when it can: it needs Debian's PostgreSQL 15 binaries and its `postgres`
 * system user (initdb does not run as root).
 */
export function ownPostgresUnavailable(): string | undefined {
  if (!existsSync(join(BIN, 'pg_ctl'))) return `no ${BIN}/pg_ctl`;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    return 'no postgres system user';
  }
  return undefined;
}

/** Initialises and starts a PostgreSQL cluster on `port` (trust auth). */
export async function startOwnPostgres(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-pg-'));
  chownSync(dir, uid('postgres'), uid('postgres', '-g'));
  const data = join(dir, 'data');
  const asPostgres = (command: string, args: string[]) =>
    promisify(execFile)(
      'runuser',
      ['-u', 'postgres', '--', join(BIN, command), ...args],
      { timeout: 120_000 },
    );
  await asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
  ]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    asPostgres('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-o',
      options,
      '-w',
      'start',
    ]);
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}`,
    /** Stops it as a crash would (no shutdown checkpoint), then starts it. */
    async restart(downMs: number) {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await new Promise(r => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      try {
        await asPostgres('pg_ctl', [
          '-D',
          data,
          '-m',
          'immediate',
          '-w',
          'stop',
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function uid(user: string, flag = '-u'): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}
