import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { ScmAccess } from './credentials';

const run = promisify(execFile);

/** A change to a kustomization's image, to commit and push. */
export interface OverlayChange {
  repository: string;
  branch: string;
  /** The kustomization file, relative to the repository root. */
  path: string;
  /** The `images[].name` entry. */
  image: string;
  digest: string;
  message: string;
  author: { name: string; email: string };
}

/** What a commit to an overlay did. */
export interface OverlayCommit {
  commit: string;
  /** False when the overlay already named this digest (nothing pushed). */
  changed: boolean;
  /** The digest the overlay named before. */
  previousDigest?: string;
}

/** What the gitops executor needs of Git: the port it depends on. */
export interface OverlayRepository {
  setImageDigest(change: OverlayChange): Promise<OverlayCommit>;
}

/** A Git operation that failed, with git's own words. */
export class GitError extends Error {
  name = 'GitError';
}

/**
 * Kustomize overlays in Git repositories, changed with the `git` CLI: a
 * shallow clone of one branch, the digest set with the `yaml` library
 * (comments and layout kept), a commit, a push; a branch that moved
 * meanwhile is fetched again and the change redone (three tries). Tokens
 * come from the integrations config and travel in an HTTP header set through
 * git's environment, never in the URL or the command line.
 */
export class GitOverlays implements OverlayRepository {
  constructor(
    private readonly options: { access: ScmAccess; timeoutMs: number },
  ) {}

  async setImageDigest(change: OverlayChange): Promise<OverlayCommit> {
    const dir = await mkdtemp(join(tmpdir(), 'delivery-gitops-'));
    try {
      const git = await this.git(dir, change.repository);
      await git(
        'clone',
        '--quiet',
        '--depth',
        '1',
        '--single-branch',
        '--branch',
        change.branch,
        change.repository,
        '.',
      );
      for (let attempt = 1; ; attempt++) {
        const edit = await editOverlay(join(dir, change.path), change);
        if (!edit.changed) {
          return {
            commit: await git('rev-parse', 'HEAD'),
            changed: false,
            previousDigest: edit.previousDigest,
          };
        }
        await git(
          '-c',
          `user.name=${change.author.name}`,
          '-c',
          `user.email=${change.author.email}`,
          'commit',
          '--quiet',
          '--all',
          '--message',
          change.message,
        );
        try {
          await git('push', '--quiet', 'origin', `HEAD:${change.branch}`);
          return {
            commit: await git('rev-parse', 'HEAD'),
            changed: true,
            previousDigest: edit.previousDigest,
          };
        } catch (error) {
          if (
            attempt >= 3 ||
            !/rejected|fetch first|non-fast-forward/.test(String(error))
          ) {
            throw error;
          }
          // The branch moved: take the new tip and make the change again.
          await git(
            'fetch',
            '--quiet',
            '--depth',
            '1',
            'origin',
            change.branch,
          );
          await git('reset', '--quiet', '--hard', 'FETCH_HEAD');
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A git runner in `dir`, authenticated for `repository` when a token is configured. */
  private async git(dir: string, repository: string) {
    const token = repository.startsWith('file:')
      ? undefined
      : await this.options.access.token(repository);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: 'true',
    };
    if (token) {
      const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
      Object.assign(env, {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      });
    }
    return async (...args: string[]) => {
      try {
        const { stdout } = await run('git', args, {
          cwd: dir,
          env,
          timeout: this.options.timeoutMs,
        });
        return stdout.trim();
      } catch (error) {
        const e = error as {
          stderr?: string;
          killed?: boolean;
          message: string;
        };
        const detail = e.killed
          ? `no answer within ${this.options.timeoutMs} ms`
          : (e.stderr || e.message).trim().split('\n').slice(-3).join(' ');
        throw new GitError(`git ${args[0]} of ${repository} failed: ${detail}`);
      }
    };
  }
}

/** Sets the digest of one image of a kustomization file, keeping its layout. */
async function editOverlay(
  file: string,
  change: OverlayChange,
): Promise<{ changed: boolean; previousDigest?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new GitError(
      `${change.path} does not exist on ${change.branch} of ${change.repository}`,
    );
  }
  const doc = yaml.parseDocument(text);
  const images = doc.get('images');
  const entry = yaml.isSeq(images)
    ? images.items.find(
        (item): item is yaml.YAMLMap =>
          yaml.isMap(item) && item.get('name') === change.image,
      )
    : undefined;
  if (!entry) {
    throw new GitError(
      `${change.path} has no images entry named '${change.image}'; add one (images: [{name: ${change.image}, newName: <repository>}]) or set the executor's image option`,
    );
  }
  const previous = entry.get('digest');
  const previousDigest = typeof previous === 'string' ? previous : undefined;
  if (previousDigest === change.digest && !entry.has('newTag')) {
    return { changed: false, previousDigest };
  }
  entry.delete('newTag');
  entry.set('digest', change.digest);
  await writeFile(file, doc.toString());
  return { changed: true, previousDigest };
}
