const { test } = require('node:test');
const assert = require('node:assert');

test('the truth', () => assert.equal(1 + 1, 2));
