// The orders service, since 2019.
const { createServer } = require('node:http');

createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: 'ok' }));
}).listen(Number(process.env.PORT ?? 8080));
