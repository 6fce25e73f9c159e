/*
 * The contract test: the running service answers every operation of
 * openapi.json with the status and the body shape the document promises.
 * Its JUnit report is recorded as contract-test evidence, which ladders
 * may require before production. Standard library only.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/app.ts';

type Schema = {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
};

/** The problems of a value against a (small) JSON schema, by path. */
function check(value: unknown, schema: Schema, path = '$'): string[] {
  const problems: string[] = [];
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const expected = schema.type === 'integer' ? 'number' : schema.type;
  if (expected && expected !== actual) return [`${path} is ${actual}, expected ${schema.type}`];
  if (schema.type === 'integer' && !Number.isInteger(value)) return [`${path} is not an integer`];
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push(`${path} is ${JSON.stringify(value)}, expected one of ${JSON.stringify(schema.enum)}`);
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in object)) problems.push(`${path}.${key} is missing`);
    }
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in object) problems.push(...check(object[key], sub, `${path}.${key}`));
    }
  }
  if (actual === 'array' && schema.items) {
    (value as unknown[]).forEach((v, i) => problems.push(...check(v, schema.items!, `${path}[${i}]`)));
  }
  return problems;
}

const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, {
    parameters?: Array<{ name: string; in: string; example?: string }>;
    responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
  }>>;
};

describe('the HTTP contract (openapi.json)', () => {
  const server = createApp();
  let base = '';
  before(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        it(`${method.toUpperCase()} ${path} answers ${status} as documented`, async () => {
          const url = new URL(path, base);
          for (const p of operation.parameters ?? []) {
            if (p.in === 'query' && p.example !== undefined) url.searchParams.set(p.name, p.example);
          }
          const res = await fetch(url, { method: method.toUpperCase() });
          assert.equal(res.status, Number(status));
          const schema = response.content?.['application/json']?.schema;
          if (schema) {
            assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
            assert.deepEqual(check(await res.json(), schema), []);
          }
        });
      }
    }
  }
});
