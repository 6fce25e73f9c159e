#!/usr/bin/env node
// A stand-in for GitHub's API, for trying the onboarding template without
// GitHub (the Playwright tests use it): each folder <owner>/<repo>/ of
// examples/onboarding becomes a real Git repository (committed on main, in a
// temporary folder), read through the two calls the scaffolder's URL reader
// makes: a branch's commit status and a commit's tarball (`git archive`).
// Everything else, creating repositories or pull requests included, is
// refused with 403 and a message that says so.
//
//   node scripts/github-stand-in.mjs [--port 7018] [--fixtures <dir>]
//
// A fixture folder that is a Git repository already is served as it is. It
// prints the URL it listens on (--port 0: any free port), then one line per
// request: method, path and authorization header.
//
// Point the portal at it with
//   integrations.github: [{ host: github.com, apiBaseUrl: http://127.0.0.1:7018, token: <any> }]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const FIXTURES = resolve(arg('--fixtures', join(ROOT, 'examples/onboarding')));
const port = Number(arg('--port', 7018));

const git = (cwd, ...args) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Stand-in',
      GIT_AUTHOR_EMAIL: 'stand-in@example.com',
      GIT_COMMITTER_NAME: 'Stand-in',
      GIT_COMMITTER_EMAIL: 'stand-in@example.com',
    },
  });

/** owner/repo → the Git repository made from its fixture folder. */
const repos = new Map();
for (const owner of readdirSync(FIXTURES, { withFileTypes: true })) {
  if (!owner.isDirectory()) continue;
  for (const repo of readdirSync(join(FIXTURES, owner.name))) {
    const fixture = join(FIXTURES, owner.name, repo);
    if (existsSync(join(fixture, '.git'))) {
      repos.set(`${owner.name}/${repo}`, fixture);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), `stand-in-${repo}-`));
    cpSync(fixture, dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'The service as it is');
    repos.set(`${owner.name}/${repo}`, dir);
  }
}

const server = createServer((req, res) => {
  console.log(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
  const base = `http://${req.headers.host}`;
  const url = new URL(req.url, base);
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const status = /^\/repos\/([^/]+\/[^/]+)\/commits\/(.+)\/status$/.exec(
    url.pathname,
  );
  const tarball = /^\/repos\/([^/]+\/[^/]+)\/tarball\/([0-9a-f]{40})$/.exec(
    url.pathname,
  );
  const match = status ?? tarball;
  const repo = match && repos.get(match[1]);
  if (req.method !== 'GET' || !match) {
    json(403, {
      message: `The GitHub stand-in (scripts/github-stand-in.mjs) only reads repositories; it refused ${req.method} ${url.pathname}`,
    });
  } else if (!repo) {
    json(404, { message: 'Not Found' });
  } else if (status) {
    let sha;
    try {
      sha = git(repo, 'rev-parse', '--verify', `${status[2]}^{commit}`).trim();
    } catch {
      json(404, { message: `No commit found for ${status[2]}` });
      return;
    }
    json(200, {
      sha,
      repository: {
        full_name: match[1],
        archive_url: `${base}/repos/${match[1]}/{archive_format}{/ref}`,
      },
    });
  } else {
    const sha = tarball[2];
    res.writeHead(200, { 'content-type': 'application/x-gzip' });
    res.end(
      execFileSync(
        'git',
        [
          'archive',
          '--format=tar.gz',
          `--prefix=${match[1].replace('/', '-')}-${sha.slice(0, 7)}/`,
          sha,
        ],
        { cwd: repo },
      ),
    );
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(
    `github-stand-in: http://127.0.0.1:${server.address().port} serves ${[
      ...repos.keys(),
    ].join(', ')}`,
  );
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
