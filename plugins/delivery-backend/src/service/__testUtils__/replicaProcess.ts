/*
 * Starting replica processes (replica.ts) for the reliability suites.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import type { ReplicaOptions } from './replica';

/** A TCP port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise(r => server.close(r));
  return port;
}

/** A replica process, ready when Backstage says so. */
export async function startReplica(options: ReplicaOptions) {
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      join(__dirname, 'replica.ts'),
    ],
    {
      env: {
        ...process.env,
        DELIVERY_REPLICA: JSON.stringify(options),
        // Not 'test' (Jest's): Backstage's scheduler janitor, which frees a
        // global task whose replica died, does not run under 'test'.
        NODE_ENV: 'development',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = { stderr: '' };
  // The backend's log (stdout) and errors, the last of them, for failures.
  child.stdout!.on('data', chunk => {
    const lines = String(chunk)
      .split('\n')
      .filter(l => l && !l.includes('rootHttpRouter'));
    if (lines.length) {
      log.stderr = `${log.stderr}${lines.join('\n')}\n`.slice(-8000);
    }
  });
  child.stderr!.on('data', chunk => {
    log.stderr = (log.stderr + chunk).slice(-8000);
  });
  const url = `http://127.0.0.1:${options.port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) {
      throw new Error(`replica exited with ${child.exitCode}:\n${log.stderr}`);
    }
    try {
      if ((await fetch(`${url}/.backstage/health/v1/readiness`)).ok) {
        return { url, child, stderr: () => log.stderr };
      }
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(
    `replica on ${options.port} never became ready:\n${log.stderr}`,
  );
}

/**
 * The PostgreSQL database the replicas of a suite share (plugin databases
 * named with `prefix`): a connection to the delivery plugin's, and a drop of
 * it when the suite is done.
 */
export function replicaDatabase(postgres: string, prefix: string) {
  let db: Knex | undefined;
  return {
    connection: { client: 'pg', connection: postgres, prefix },
    knex(): Knex {
      db ??= knexFactory({
        client: 'pg',
        connection: `${postgres.replace(/\/$/, '')}/${prefix}delivery`,
      });
      return db;
    },
    async drop(replicas: Array<{ child: ChildProcess }>) {
      for (const { child } of replicas) child.kill('SIGKILL');
      await db?.destroy();
      const admin = knexFactory({ client: 'pg', connection: postgres });
      await admin.raw(`DROP DATABASE IF EXISTS ${prefix}delivery WITH (FORCE)`);
      await admin.destroy();
    },
  };
}
