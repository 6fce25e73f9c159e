import { resolve } from 'node:path';
import { ESLint } from 'eslint';

/**
 * The rooms of the plugin are enforced by the lint (.eslintrc.js): a broken
 * rule fails `make lint`. Each case lints one import in one room, as
 * `backstage-cli repo lint` does.
 */
jest.setTimeout(60_000);

const root = resolve(__dirname, '..');
const eslint = new ESLint({ cwd: root });

async function layeringErrors(file: string, importLine: string) {
  const [result] = await eslint.lintText(
    `${importLine}\n\nexport const used = [x];\n`,
    { filePath: resolve(root, file) },
  );
  return result.messages
    .filter(m => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map(m => m.message);
}

describe('the layering rules of the lint', () => {
  it.each([
    ['src/domain/rule.ts', "import { x } from '../database/Ledger';"],
    ['src/domain/rule.ts', "import { x } from '../service/components';"],
    ['src/domain/rule.ts', "import { x } from '@backstage/catalog-model';"],
    ['src/domain/rule.ts', "import { x } from 'knex';"],
    ['src/kubernetes/port.ts', "import { x } from '../service/views';"],
    [
      'src/kubernetes/previews/port.ts',
      "import { x } from '../../database/PreviewStore';",
    ],
    ['src/catalog/port.ts', "import { x } from '../database/Ledger';"],
    ['src/database/Store.ts', "import { x } from '../service/components';"],
    ['src/database/Store.ts', "import { x } from '../kubernetes/liveState';"],
    ['src/config/read.ts', "import { x } from '../database/Ledger';"],
    [
      'src/supplyChain/Verifier.ts',
      "import { x } from '../database/EvidenceStore';",
    ],
  ])('refuses in %s: %s', async (file, line) => {
    expect(await layeringErrors(file, line)).toEqual([
      expect.stringMatching(/must not import|pure rules/),
    ]);
  });

  it.each([
    ['src/domain/rule.ts', "import type { x } from '../config/types';"],
    [
      'src/domain/rule.ts',
      "import type { x } from '@backstage/catalog-model';",
    ],
    ['src/domain/rule.ts', "import { x } from './describe';"],
    ['src/domain/rule.ts', "import { x } from 'luxon';"],
    [
      'src/domain/rule.ts',
      "import { x } from '@backstage-delivery/plugin-delivery-common';",
    ],
    ['src/kubernetes/port.ts', "import { x } from '../domain/thresholds';"],
    ['src/service/Service.ts', "import { x } from '../database/Ledger';"],
    ['src/service/Service.ts', "import { x } from '../kubernetes/liveState';"],
    [
      'src/kubernetes/port.test.ts',
      "import { x } from '../service/createServices';",
    ],
  ])('allows in %s: %s', async (file, line) => {
    expect(await layeringErrors(file, line)).toEqual([]);
  });
});
