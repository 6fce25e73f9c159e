#!/usr/bin/env node
// Checks that every @backstage/* package in yarn.lock resolves to exactly one
// version, and that it is the version pinned for the Backstage release in the
// root package.json "resolutions" (see README, "Backstage release").
// Exits non-zero with the offending packages otherwise.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const release = JSON.parse(
  readFileSync(join(root, 'backstage.json'), 'utf8'),
).version;
const pins =
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).resolutions ??
  {};
const lock = readFileSync(join(root, 'yarn.lock'), 'utf8');

const resolved = new Map();
const entry = /^"(@backstage\/[^@"]+)@[^\n]*\n {2}version: ([^\n]+)/gm;
for (const [, name, version] of lock.matchAll(entry)) {
  if (!resolved.has(name)) resolved.set(name, new Set());
  resolved.get(name).add(version);
}

const problems = [];
for (const [name, versions] of [...resolved].sort()) {
  const pinned = pins[name];
  if (versions.size > 1) {
    problems.push(
      `${name}: ${versions.size} versions in yarn.lock (${[...versions].join(
        ', ',
      )})`,
    );
  } else if (!pinned) {
    problems.push(
      `${name}@${[...versions][0]}: not pinned in package.json "resolutions"`,
    );
  } else if (!versions.has(pinned)) {
    problems.push(`${name}@${[...versions][0]}: resolutions pin ${pinned}`);
  }
}
for (const name of Object.keys(pins)) {
  if (name.startsWith('@backstage/') && !resolved.has(name)) {
    problems.push(
      `${name}: pinned in "resolutions" but no longer used; remove the pin`,
    );
  }
}

if (problems.length) {
  console.error(`Backstage packages are not aligned to release ${release}:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(
  `backstage: ${resolved.size} @backstage/* packages, all aligned to release ${release}`,
);
