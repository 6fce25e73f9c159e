import { createApp } from './app.ts';

const port = Number(process.env.PORT ?? 8080);
const server = createApp();

server.listen(port, () => {
  console.log(JSON.stringify({ level: 'info', message: `listening on ${port}` }));
});

// Kubernetes sends SIGTERM before it kills the pod: finish what is in flight.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    console.log(JSON.stringify({ level: 'info', message: `${signal}: shutting down` }));
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}
