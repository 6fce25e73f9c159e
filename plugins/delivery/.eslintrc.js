module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // openapi-fetch names its request methods after the HTTP verbs.
    'new-cap': [
      'error',
      { capIsNewExceptions: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    ],
  },
});
