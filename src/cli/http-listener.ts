/** @module Starting a role's HTTP server from its settings: deadlines, access log and metrics per request, the listen backlog, and the URL it listens on. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BodyLimit, createNodeServer } from '../http/node-server.js';
import { accessLine, plainAddress } from '../http/access-log.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import type { Logger } from './log.js';
import type { HttpSettings } from './server-settings.js';

export interface Listening {
  server: Server;
  /** http://address:port as bound (the port resolved when 0 was asked). */
  url: string;
}

/** Listens on `host:port`; rejects (and holds nothing) when the address cannot be bound. */
export async function listenHttp(
  app: (req: HttpRequest) => Promise<HttpResponse>,
  opts: { settings: HttpSettings; log: Logger; onRequest: (req: HttpRequest, res: HttpResponse, ms: number) => void; bodies?: Readonly<Record<string, BodyLimit>> },
): Promise<Listening> {
  const s = opts.settings;
  const access = s.accessLog ? opts.log.child({ access: true }) : undefined;
  const trusted = new Set(s.trustProxy.map(plainAddress));
  const server = createNodeServer(app, {
    onAccess: access
      ? (req, res, ms) => {
          opts.onRequest(req, res, ms);
          const line = accessLine(req, res, ms, trusted);
          access.info(line.msg, line.fields);
        }
      : opts.onRequest,
    bodyTimeoutMs: s.bodyTimeoutMs,
    headersTimeoutMs: s.headersTimeoutMs,
    requestTimeoutMs: s.headersTimeoutMs + s.bodyTimeoutMs,
    keepAliveTimeoutMs: s.keepAliveTimeoutMs,
    ...(opts.bodies ? { bodies: opts.bodies } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: s.port, host: s.host, backlog: s.listenBacklog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return { server, url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` };
}
