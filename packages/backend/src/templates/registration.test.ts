import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { APP_CONFIG, ROOT, TEMPLATES } from './__testUtils__/testing';

describe('golden-path templates', () => {
  it('are each registered in the catalog through app-config.yaml, each with a test', () => {
    const templates = readdirSync(TEMPLATES).filter(name => {
      try {
        return statSync(join(TEMPLATES, name, 'template.yaml')).isFile();
      } catch {
        return false;
      }
    });
    const registered = APP_CONFIG.catalog.locations
      .filter((l: any) =>
        l.rules?.some((r: any) => r.allow.includes('Template')),
      )
      .map((l: any) =>
        relative(ROOT, resolve(ROOT, 'packages/backend', l.target)),
      );
    expect(registered.sort()).toEqual(
      templates.map(t => `templates/${t}/template.yaml`).sort(),
    );
    expect(templates.sort()).toEqual(
      readdirSync(__dirname)
        .filter(f => f.endsWith('.test.ts') && f !== 'registration.test.ts')
        .filter(f => !['pipeline.test.ts'].includes(f))
        .map(f => f.replace(/\.test\.ts$/, ''))
        .sort(),
    );
  });
});
