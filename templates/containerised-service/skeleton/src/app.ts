import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** What the service answers; replace the greeting with your own routes. */
export function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'GET') {
    json(405, { error: `${req.method} is not allowed` });
    return;
  }
  switch (url.pathname) {
    // Liveness: the process answers.
    case '/healthz':
      json(200, { status: 'ok' });
      return;
    // Readiness: ready for traffic (check dependencies here).
    case '/readyz':
      json(200, { status: 'ready' });
      return;
    case '/api/greeting': {
      const name = url.searchParams.get('name')?.trim() || 'world';
      if (name.length > 100) {
        json(400, { error: 'name must be at most 100 characters' });
        return;
      }
      json(200, { message: `Hello, ${name}!` });
      return;
    }
    default:
      json(404, { error: `${url.pathname} not found` });
  }
}

export function createApp() {
  return createServer(handle);
}
