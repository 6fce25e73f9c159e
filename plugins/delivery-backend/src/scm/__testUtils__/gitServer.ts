import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A Git remote over smart HTTP, as GitHub serves one, for tests. */
export interface GitServer {
  /** `http://127.0.0.1:<port>`; repositories are `<url>/<owner>/<repo>.git`. */
  url: string;
  host: string;
  /** Request lines seen, e.g. `POST /acme/checkout.git/git-receive-pack 200`. */
  requests: string[];
  /** Creates a repository with these files on `main`. */
  createRepository(name: string, files: Record<string, string>): string;
  /** The content of a file on a branch, read from the bare repository. */
  show(name: string, ref: string, path: string): string;
  /** The commit messages of a branch, newest first. */
  log(name: string, ref?: string): string[];
  /** Runs a git command in a bare repository. */
  git(name: string, ...args: string[]): string;
  /** Called once before the next push is handled (to make it race). */
  beforeNextPush(fn: () => void): void;
  close(): Promise<void>;
}

/**
 * `git http-backend` behind Node's HTTP server: real clones, fetches and
 * pushes over HTTP, refused without `Authorization: Basic
 * base64(x-access-token:<token>)` (what the backend sends for a GitHub
 * token).
 */
export async function startGitServer(token: string): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'delivery-git-'));
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString(
    'base64',
  )}`;
  const requests: string[] = [];
  let beforePush: (() => void) | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const line = `${req.method} ${url.pathname}`;
    if (beforePush && url.pathname.endsWith('/git-receive-pack')) {
      const fn = beforePush;
      beforePush = undefined;
      fn();
    }
    if (req.headers.authorization !== expected) {
      requests.push(`${line} 401`);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      res.end('authentication required');
      return;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(child.stdin);
    const chunks: Buffer[] = [];
    child.stdout.on('data', c => chunks.push(c));
    child.on('close', () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, split).toString('utf8');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const h of head.split('\r\n')) {
        const [key, ...rest] = h.split(':');
        const value = rest.join(':').trim();
        if (key.toLowerCase() === 'status')
          status = Number(value.split(' ')[0]);
        else if (key) headers[key] = value;
      }
      requests.push(`${line} ${status}`);
      res.writeHead(status, headers);
      res.end(out.subarray(split + 4));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const git = (name: string, ...args: string[]) =>
    execFileSync('git', args, { cwd: join(root, `${name}.git`) })
      .toString('utf8')
      .trim();
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    createRepository(name, files) {
      const work = mkdtempSync(join(tmpdir(), 'delivery-git-work-'));
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(work, path)), { recursive: true });
        writeFileSync(join(work, path), content);
      }
      const run = (...args: string[]) =>
        execFileSync('git', args, { cwd: work });
      run('init', '--quiet', '--initial-branch', 'main');
      run('add', '.');
      run(
        '-c',
        'user.name=Test',
        '-c',
        'user.email=test@example.com',
        'commit',
        '--quiet',
        '-m',
        'Initial',
      );
      const bare = join(root, `${name}.git`);
      mkdirSync(dirname(bare), { recursive: true });
      execFileSync('git', ['clone', '--quiet', '--bare', work, bare]);
      execFileSync('git', ['config', 'http.receivepack', 'true'], {
        cwd: bare,
      });
      return `http://127.0.0.1:${port}/${name}.git`;
    },
    show: (name, ref, path) =>
      execFileSync('git', ['show', `${ref}:${path}`], {
        cwd: join(root, `${name}.git`),
      }).toString('utf8'),
    log: (name, ref = 'main') =>
      git(name, 'log', '--format=%B%x00', ref)
        .split('\0')
        .map(m => m.trim())
        .filter(Boolean),
    git,
    beforeNextPush: fn => {
      beforePush = fn;
    },
    close: () => new Promise(r => server.close(() => r())),
  };
}
