/*
 * A small HTTP proxy in front of the test API server that injects faults:
 * 500 answers, latency, requests that never get an answer, and dropped
 * connections. The plugin talks to it over plain HTTP; it forwards to the
 * API server over HTTPS. The client library itself is never stubbed.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import {
  createServer as createTlsServer,
  request as httpsRequest,
} from 'node:https';
import { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  | { kind: 'error500' }
  | { kind: 'latency'; ms: number }
  | { kind: 'hang' }
  | { kind: 'drop' };

/** Which requests a fault applies to; all of them when not given. */
export interface FaultMatch {
  method?: string;
  path?: RegExp;
}

export interface FaultProxy {
  url: string;
  /** Replaces every fault with this one. */
  setFault(fault: Fault, match?: FaultMatch): void;
  /** Replaces every fault with these; the first that matches a request applies. */
  setFaults(rules: Array<{ fault: Fault; match?: FaultMatch }>): void;
  /** How many requests reached the proxy. */
  requests(): number;
  /** The requests that reached the proxy, oldest first. */
  log(): Array<{ method: string; path: string }>;
  /** Cuts every open connection (long-running watches included). */
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * Starts the proxy; with `tls` (a key and certificate, e.g. the test API
 * server's own) it serves HTTPS, as clients that watch need.
 */
export async function startFaultProxy(
  upstream: string,
  tls?: { key: string; cert: string },
): Promise<FaultProxy> {
  let rules: Array<{ fault: Fault; match?: FaultMatch }> = [];
  let count = 0;
  const log: Array<{ method: string; path: string }> = [];
  const sockets = new Set<Socket>();
  const target = new URL(upstream);

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstreamReq = httpsRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: target.host },
        rejectUnauthorized: false,
      },
      upstreamRes => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        // A watch answers its headers long before its first event.
        res.flushHeaders();
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', error => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstreamReq);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    count++;
    log.push({ method: req.method ?? '', path: req.url ?? '' });
    const fault =
      rules.find(
        ({ match = {} }) =>
          (!match.method || match.method === req.method) &&
          (!match.path || match.path.test(req.url ?? '')),
      )?.fault ?? ({ kind: 'none' } as Fault);
    switch (fault.kind) {
      case 'error500':
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: 'injected internal error',
            code: 500,
          }),
        );
        return;
      case 'hang':
        return; // never answers
      case 'drop':
        req.socket.destroy();
        return;
      case 'latency': {
        const ms = (fault as { ms: number }).ms;
        setTimeout(() => forward(req, res), ms);
        return;
      }
      default:
        forward(req, res);
    }
  };
  const server = tls ? createTlsServer(tls, handle) : createServer(handle);
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    setFault: (fault, match) => {
      rules = [{ fault, match }];
    },
    setFaults: next => {
      rules = next;
    },
    requests: () => count,
    log: () => [...log],
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
