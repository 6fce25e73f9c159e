import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { build } from 'esbuild';

/** The CLI as one file, and its sha256 (hex). */
export interface CliFile {
  name: string;
  body: string;
  sha256: string;
  version: string;
}

/** The file name pipelines save it as (and `sha256sum -c` checks). */
export const CLI_FILE_NAME = 'delivery.cjs';

/**
 * The `delivery` CLI this backend ships with, bundled once (on first request)
 * into a single CommonJS file that Node 22 runs with no install, the way
 * Argo CD's server serves its own CLI: pipelines download it from the portal
 * they report to and check its sha256, so nothing has to be published to a
 * registry (where whoever claims the name would run code with the
 * pipeline's token).
 */
export class CliBundle {
  private file?: Promise<CliFile>;

  get(): Promise<CliFile> {
    this.file ??= bundle().catch(error => {
      this.file = undefined;
      throw error;
    });
    return this.file;
  }
}

async function bundle(): Promise<CliFile> {
  const dir = resolvePackagePath('@backstage-delivery/cli');
  // From the sources in this repository, from the build when installed.
  const entry = existsSync(join(dir, 'src/index.ts'))
    ? join(dir, 'src/index.ts')
    : join(dir, 'dist/index.cjs.js');
  const { version } = require(join(dir, 'package.json')) as {
    version: string;
  };
  const result = await build({
    stdin: {
      contents: `require(${JSON.stringify(
        entry,
      )}).main(process.argv).then(code => { process.exitCode = code; });`,
      resolveDir: dir,
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    write: false,
    minify: false,
    legalComments: 'none',
    banner: {
      js: `#!/usr/bin/env node\n// delivery CLI ${version}, served by the Delivery for Backstage backend`,
    },
    logLevel: 'silent',
  });
  const body = result.outputFiles[0].text;
  return {
    name: CLI_FILE_NAME,
    body,
    sha256: createHash('sha256').update(body).digest('hex'),
    version,
  };
}
