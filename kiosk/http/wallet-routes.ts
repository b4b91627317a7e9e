/**
 * The kiosk's part in the visitor wallet (docs/WALLET.md): it serves the built wallet bundle
 * at `/wallet/` (so a venue without a regional wallet still has one), and lets the configured
 * wallet origins call the public check-in and proof routes from a browser (CORS).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { WaymarkError } from '../../core/errors.js';
import type { KioskConfig } from '../../core/config.js';

/** The routes a wallet on another origin calls: read the token, check in, fetch a proof. */
export const WALLET_CORS_ROUTES: ReadonlyMap<string, string> = new Map([
  ['/v1/checkin-token', 'GET'],
  ['/v1/checkins', 'POST'],
  ['/v1/records/:id/proof', 'GET'],
]);

export interface WalletHttpOptions {
  /** Origins (`scheme://host[:port]`) allowed to call WALLET_CORS_ROUTES. */
  origins: readonly string[];
  /** Where the built bundle is (default: `<package>/dist/wallet`, made by `npm run build:wallet`). */
  bundleDir?: string;
}

/** The origins a kiosk lets call it: checkin.walletUrl's origin and checkin.walletOrigins. */
export function walletOrigins(checkin: Pick<KioskConfig['checkin'], 'walletUrl' | 'walletOrigins'>): string[] {
  const origins = new Set(checkin.walletOrigins ?? []);
  if (checkin.walletUrl) origins.add(new URL(checkin.walletUrl).origin);
  return [...origins];
}

/** `<package root>/dist/wallet`, from the sources (tsx) or from dist/ alike. */
export function defaultWalletBundleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'wallet');
}

/**
 * The onRequest hook: a request from an allowed origin to a wallet route gets
 * `Access-Control-Allow-Origin` on whatever the route answers (errors and 429s included, so
 * the wallet can read the Waymark error body). Other origins get no CORS header at all.
 */
export function walletCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !allowed.has(origin) || !WALLET_CORS_ROUTES.has(req.routeOptions.url ?? '')) return;
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/** Network calls go to any kiosk and any RPC node the visitor chose; code and styles only from here. */
const CSP = "default-src 'self'; connect-src *; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'";

interface BundleFile {
  body: Buffer;
  type: string;
}

function readBundle(dir: string): Map<string, BundleFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, BundleFile>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const type = TYPES[extname(name)];
    if (type && statSync(path).isFile()) files.set(name, { body: readFileSync(path), type });
  }
  return files;
}

/** GET /wallet/ and its files (read once, kept in memory: the bundle is a few hundred KB), and the CORS preflights. */
export const walletRoutes: FastifyPluginAsync<WalletHttpOptions> = async (app, opts) => {
  const dir = opts.bundleDir ?? defaultWalletBundleDir();
  let bundle: Map<string, BundleFile> | undefined;
  const allowed = new Set(opts.origins);

  const serve = async (name: string, reply: FastifyReply) => {
    bundle ??= readBundle(dir);
    if (!bundle) throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `the wallet bundle is not built (npm run build:wallet; looked in ${dir})`);
    const file = bundle.get(name);
    if (!file) throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `/wallet/${name}`);
    // the page, its worker and its manifest are revalidated so an update reaches phones; the worker versions the rest
    const fresh = name === 'index.html' || name === 'sw.js' || name.endsWith('.webmanifest');
    return reply.type(file.type)
      .header('cache-control', fresh ? 'no-cache' : 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'no-referrer')
      .send(file.body);
  };

  app.get('/wallet', async (_req, reply) => reply.redirect('/wallet/', 301));
  app.get('/wallet/', async (_req, reply) => serve('index.html', reply));
  app.get<{ Params: { file: string } }>('/wallet/:file', async (req, reply) => {
    if (!/^[a-z0-9][a-z0-9._-]{0,80}$/i.test(req.params.file)) throw new WaymarkError('WAYMARK_ERR_NOT_FOUND', `/wallet/${req.params.file}`);
    return serve(req.params.file, reply);
  });

  // the browser asks before a cross-origin POST with a JSON body
  for (const [url, method] of WALLET_CORS_ROUTES) {
    app.options(url, async (req, reply) => {
      const origin = req.headers.origin;
      if (typeof origin === 'string' && allowed.has(origin)) {
        void reply.header('access-control-allow-methods', `${method}, OPTIONS`)
          .header('access-control-allow-headers', 'content-type')
          .header('access-control-max-age', '600');
        // Chrome's Private Network Access: a public wallet origin calling a kiosk on the venue LAN
        if (req.headers['access-control-request-private-network'] === 'true') void reply.header('access-control-allow-private-network', 'true');
      }
      return reply.status(204).send();
    });
  }
};
