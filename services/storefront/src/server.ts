import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import type { Logger } from '@mesh/telemetry';
import type { BrowserConfig } from './config';

/** The built web app (vite build): dist/public next to this file's dist/server.js. */
export const PUBLIC_DIR = join(__dirname, 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite's assets carry a content hash in their name: they never change under that name. */
  immutable: boolean;
}

/** Every file of the build, read once at start: the whole app is a few dozen KiB. */
function readBuild(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
      files.set(urlPath, {
        body: readFileSync(path),
        type: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
        immutable: urlPath.startsWith('/assets/'),
      });
    }
  };
  walk(dir);
  if (!files.has('/index.html')) {
    throw new Error(`no index.html in ${dir}: build the web app first (pnpm build)`);
  }
  return files;
}

/**
 * The page may load only its own code and talk only to the gateway and the collector; nothing
 * inline, no frames. What keeps a compromised dependency or an injected string from phoning
 * anywhere else.
 */
function contentSecurityPolicy(config: BrowserConfig): string {
  const connect = ["'self'", config.gatewayUrl, config.otlpTracesUrl].filter((url) => url !== '');
  return [
    "default-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export interface StorefrontServerOptions {
  config: BrowserConfig;
  logger: Logger;
  /** Default: the build next to this file. */
  publicDir?: string;
}

/**
 * The storefront's server: the built app, `/config.json` (what the app needs to know at run
 * time, from the environment, so one build serves every set-up) and `/healthz`. GET and HEAD
 * only; never listens (main.ts does).
 */
export function createStorefrontServer(options: StorefrontServerOptions): Server {
  const files = readBuild(options.publicDir ?? PUBLIC_DIR);
  const configBody = Buffer.from(JSON.stringify(options.config));
  const securityHeaders = {
    'content-security-policy': contentSecurityPolicy(options.config),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: Buffer,
    cacheControl: string,
  ) => {
    res.writeHead(status, {
      ...securityHeaders,
      'content-type': type,
      'content-length': body.length,
      'cache-control': cacheControl,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://storefront').pathname);
    } catch {
      send(req, res, 400, 'text/plain; charset=utf-8', Buffer.from('Bad request'), 'no-store');
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      send(
        req,
        res,
        200,
        CONTENT_TYPES['.json'] as string,
        Buffer.from('{"status":"ok"}'),
        'no-store',
      );
      return;
    }
    if (path === '/config.json') {
      send(req, res, 200, CONTENT_TYPES['.json'] as string, configBody, 'no-store');
      return;
    }
    // Only files of the build are served (a lookup, not a path join): nothing outside it can be
    // reached, whatever the URL holds.
    const file = files.get(path === '/' ? '/index.html' : path);
    if (!file) {
      send(req, res, 404, 'text/plain; charset=utf-8', Buffer.from('Not found'), 'no-store');
      return;
    }
    send(
      req,
      res,
      200,
      file.type,
      file.body,
      file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  }).on('clientError', (error, socket) => {
    options.logger.debug({ err: error }, 'bad client request');
    socket.destroy();
  });
}
