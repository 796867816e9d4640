/** @module Starting a role's HTTP server from its configuration: deadlines, access log and metrics per request, the listen backlog, and the URL it listens on. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeServer } from '../http/node-server.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';

export interface Listening {
  server: Server;
  /** http://address:port as bound (the port resolved when 0 was asked). */
  url: string;
}

/** Listens on `host:port`; rejects (and holds nothing) when the address cannot be bound. */
export async function listenHttp(
  app: (req: HttpRequest) => Promise<HttpResponse>,
  opts: { config: Config; log: Logger; host: string; port: number; onRequest: (req: HttpRequest, res: HttpResponse, ms: number) => void },
): Promise<Listening> {
  const { config } = opts;
  const num = (key: string, fallback: number): number => (config[key] === undefined ? fallback : Number(config[key]));
  const access = config['access-log'] === true ? opts.log.child({ access: true }) : undefined;
  const server = createNodeServer(app, {
    onAccess: access
      ? (req, res, ms) => {
          opts.onRequest(req, res, ms);
          access.info(`${req.method} ${req.path}`, { status: res.status, ms: Math.round(ms * 10) / 10 });
        }
      : opts.onRequest,
    bodyTimeoutMs: num('body-timeout-ms', 5_000),
    headersTimeoutMs: num('headers-timeout-ms', 10_000),
    requestTimeoutMs: num('headers-timeout-ms', 10_000) + num('body-timeout-ms', 5_000),
    keepAliveTimeoutMs: num('keep-alive-timeout-ms', 5_000),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, backlog: num('listen-backlog', 4096) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return { server, url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` };
}
