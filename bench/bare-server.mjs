/**
 * The baseline: a bare node:http server answering every request with the same 200-byte body, after
 * reading the request body (as the calendar must). Usage: node bench/bare-server.mjs <port> [backlog]
 */
import { createServer } from 'node:http';

const BODY = Buffer.alloc(200, 0x61);
const HEADERS = { 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) };

const server = createServer((req, res) => {
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
  req.resume();
});
server.keepAliveTimeout = 5_000;
// optional listen backlog (node's default is 511), to show what the accept queue does under a connection storm
const backlog = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
server.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1', ...(backlog ? { backlog } : {}) }, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
