// TenantQuota development identity provider.
//
// A small OpenID Connect provider (npm `oidc-provider`, pinned to 9.13.3) that serves only the
// OAuth 2.0 client-credentials grant and issues RS256 JWT access tokens for the TenantQuota API
// (aud "tenantquota-api", claims `scope` and `tenant_id`). Development and test use only.
//
// Configuration (environment variables, all optional):
//   TQ_IDENTITY_HOST       interface to listen on                 (default 127.0.0.1)
//   TQ_IDENTITY_PORT       TCP port                               (default 5001)
//   TQ_IDENTITY_ISSUER     issuer identifier                      (default http://127.0.0.1:<port>, i.e. :5001)
//   TQ_IDENTITY_DATA       folder for the persisted signing key   (default /var/tmp/tenantquota/identity)
//   TQ_IDENTITY_CLIENTS    path to the clients file               (default clients.json next to this file)
//   TQ_IDENTITY_TOKEN_TTL  access-token lifetime in seconds       (default 3600)

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import Provider, { errors } from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));

// The audience every access token carries, and the resource indicator that stands for it.
// RFC 8707 resource indicators must be absolute URIs, so the bare name is only an alias.
const AUDIENCE = 'tenantquota-api';
const RESOURCE = 'urn:tenantquota:api';
const RESOURCE_ALIASES = new Set([RESOURCE, AUDIENCE]);

// Every scope the API understands. Scopes that only make sense for a tenant need a tenant_id.
const API_SCOPES = ['quota.check', 'quota.consume', 'tenant.admin', 'platform.admin'];
const TENANT_SCOPES = new Set(['quota.check', 'quota.consume', 'tenant.admin']);

const CLIENT_KEYS = new Set(['client_id', 'client_secret', 'tenant_id', 'scope', 'description']);
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

class StartupError extends Error {}

function fail(message) {
  throw new StartupError(message);
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

function readSettings(env) {
  const host = env.TQ_IDENTITY_HOST || '127.0.0.1';

  const portText = env.TQ_IDENTITY_PORT || '5001';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`TQ_IDENTITY_PORT must be a TCP port number (1-65535), got "${portText}"`);
  }

  // Without an explicit issuer the provider names itself after the loopback port it serves.
  const issuer = (env.TQ_IDENTITY_ISSUER || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  let issuerUrl;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    fail(`TQ_IDENTITY_ISSUER must be an absolute http(s) URL, got "${issuer}"`);
  }
  if (!['http:', 'https:'].includes(issuerUrl.protocol) || issuerUrl.search || issuerUrl.hash) {
    fail(`TQ_IDENTITY_ISSUER must be an http(s) URL without query or fragment, got "${issuer}"`);
  }

  const ttlText = env.TQ_IDENTITY_TOKEN_TTL || '3600';
  const tokenTtl = Number(ttlText);
  if (!/^\d+$/.test(ttlText) || !Number.isSafeInteger(tokenTtl) || tokenTtl < 1) {
    fail(`TQ_IDENTITY_TOKEN_TTL must be a positive whole number of seconds, got "${ttlText}"`);
  }

  return {
    host,
    port,
    issuer,
    tokenTtl,
    dataDir: path.resolve(env.TQ_IDENTITY_DATA || '/var/tmp/tenantquota/identity'),
    clientsFile: path.resolve(env.TQ_IDENTITY_CLIENTS || path.join(here, 'clients.json')),
  };
}

// ---------------------------------------------------------------------------------------------
// Clients file
// ---------------------------------------------------------------------------------------------

function loadClients(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read clients file ${file}: ${err.message}`);
  }

  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(`clients file ${file} is not valid JSON: ${err.message}`);
  }

  const list = Array.isArray(doc) ? doc : doc?.clients;
  if (!Array.isArray(list) || list.length === 0) {
    fail(`clients file ${file} must contain a non-empty "clients" array`);
  }

  const seen = new Set();
  return list.map((entry, i) => {
    const where = `clients file ${file}, clients[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      fail(`${where} must be an object`);
    }
    const unknown = Object.keys(entry).filter((k) => !CLIENT_KEYS.has(k));
    if (unknown.length) {
      fail(`${where} has unknown field(s) ${unknown.join(', ')}; allowed: ${[...CLIENT_KEYS].join(', ')}`);
    }

    const { client_id: clientId, client_secret: secret, tenant_id: tenantId, scope } = entry;
    if (typeof clientId !== 'string' || !ID_PATTERN.test(clientId)) {
      fail(`${where}: client_id must be a string of letters, digits, ".", "_" or "-"`);
    }
    const at = `clients file ${file}, client "${clientId}"`;
    if (seen.has(clientId)) {
      fail(`${at}: duplicate client_id`);
    }
    seen.add(clientId);

    if (typeof secret !== 'string' || secret.length === 0) {
      fail(`${at}: client_secret must be a non-empty string`);
    }
    if (tenantId !== undefined && tenantId !== null
        && (typeof tenantId !== 'string' || !ID_PATTERN.test(tenantId))) {
      fail(`${at}: tenant_id must be a string of letters, digits, ".", "_" or "-" (or be omitted)`);
    }
    if (typeof scope !== 'string' || scope.trim() === '') {
      fail(`${at}: scope must be a non-empty space-separated string`);
    }
    const scopes = [...new Set(scope.split(' ').filter(Boolean))];
    const unsupported = scopes.filter((s) => !API_SCOPES.includes(s));
    if (unsupported.length) {
      fail(`${at}: unsupported scope(s) ${unsupported.join(', ')}; supported: ${API_SCOPES.join(', ')}`);
    }
    if (!tenantId && scopes.some((s) => TENANT_SCOPES.has(s))) {
      fail(`${at}: scopes ${[...TENANT_SCOPES].join(', ')} require a tenant_id`);
    }

    return { clientId, secret, tenantId: tenantId || undefined, scopes };
  });
}

// ---------------------------------------------------------------------------------------------
// Signing key: generated once, persisted as a private JWKS (mode 0600), reused afterwards
// ---------------------------------------------------------------------------------------------

function jwkThumbprint(jwk) {
  // RFC 7638 thumbprint of an RSA key: the required members in lexicographic order.
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

function generateJwks() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: jwkThumbprint(jwk), alg: 'RS256', use: 'sig' }] };
}

function validateJwks(jwks, file) {
  const keys = jwks?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    fail(`signing key file ${file} holds no keys; delete it to generate a new key`);
  }
  const usable = keys.some((k) => k?.kty === 'RSA' && typeof k.d === 'string' && (!k.alg || k.alg === 'RS256'));
  if (!usable) {
    fail(`signing key file ${file} holds no private RSA (RS256) key; delete it to generate a new key`);
  }
  return jwks;
}

function loadOrCreateJwks(dataDir) {
  const file = path.join(dataDir, 'jwks.json');
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    fail(`cannot create data folder ${dataDir} (TQ_IDENTITY_DATA): ${err.message}`);
  }

  const read = () => {
    let jwks;
    try {
      jwks = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      fail(`signing key file ${file} is unreadable or not JSON (${err.message}); delete it to generate a new key`);
    }
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
      console.warn(`warning: signing key file ${file} has mode ${mode.toString(8)}; expected 600`);
    }
    return { jwks: validateJwks(jwks, file), created: false, file };
  };

  if (fs.existsSync(file)) {
    return read();
  }

  // Write to a temporary file, then hard-link it into place: the link fails if another
  // process created the key first, in which case that key is used.
  const jwks = generateJwks();
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600);
    fs.linkSync(tmp, file);
  } catch (err) {
    if (err.code !== 'EEXIST') {
      fail(`cannot write signing key file ${file}: ${err.message}`);
    }
    return read();
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { jwks, created: true, file };
}

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

// Scope policy for the client-credentials grant, applied before oidc-provider's own handler:
//   - no `scope` parameter            -> every scope the client is allowed
//   - a subset of the allowed scopes  -> exactly that subset
//   - any scope outside the allowed   -> invalid_scope
// (By default oidc-provider 9 issues a token with no scope at all when none is requested, and
// silently drops requested scopes that are not registered static scopes instead of rejecting them.)
function withScopePolicy(builtInHandler) {
  return async function clientCredentialsWithScopePolicy(ctx) {
    const { client, params } = ctx.oidc;
    const allowed = new Set((client.scope || '').split(' ').filter(Boolean));
    const requested = [...new Set((params.scope || '').split(' ').filter(Boolean))];

    if (requested.length === 0) {
      params.scope = [...allowed].join(' ') || undefined;
    } else {
      const notAllowed = requested.filter((s) => !allowed.has(s));
      if (notAllowed.length) {
        throw new errors.InvalidScope(`requested scope is not allowed for this client: ${notAllowed.join(' ')}`, notAllowed[0]);
      }
      params.scope = requested.join(' ');
    }

    // Accept the bare audience name as an alias of the resource indicator.
    if (params.resource !== undefined) {
      const map = (r) => (r === AUDIENCE ? RESOURCE : r);
      params.resource = Array.isArray(params.resource) ? params.resource.map(map) : map(params.resource);
    }

    return builtInHandler(ctx);
  };
}

class TenantQuotaProvider extends Provider {
  // oidc-provider registers its built-in grant handlers from its constructor through this public
  // method; wrapping it here keeps the built-in client-credentials logic and adds the scope policy.
  registerGrantType(name, handler, params, dupes) {
    const wrapped = name === 'client_credentials' ? withScopePolicy(handler) : handler;
    return super.registerGrantType(name, wrapped, params, dupes);
  }
}

function createProvider(settings, clients, jwks) {
  const tenantByClient = new Map(clients.map((c) => [c.clientId, c.tenantId]));

  return new TenantQuotaProvider(settings.issuer, {
    jwks,
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      scope: c.scopes.join(' '),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      // oidc-provider 9 accepts client_secret_basic and client_secret_post interchangeably for
      // a client registered with either of them.
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: [],
    scopes: ['openid', ...API_SCOPES],
    claims: { openid: ['sub'] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => {
          if (!RESOURCE_ALIASES.has(resourceIndicator)) {
            throw new errors.InvalidTarget(`unknown resource; use ${RESOURCE} (or omit resource)`);
          }
          return {
            audience: AUDIENCE,
            scope: API_SCOPES.join(' '),
            accessTokenFormat: 'jwt',
            accessTokenTTL: settings.tokenTtl,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: (ctx, token) => {
      const tenantId = tenantByClient.get(token.clientId);
      return tenantId ? { tenant_id: tenantId } : undefined;
    },
    ttl: {
      ClientCredentials: () => settings.tokenTtl,
      AccessToken: () => settings.tokenTtl,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main() {
  const settings = readSettings(process.env);
  const clients = loadClients(settings.clientsFile);
  const { jwks, created, file: keyFile } = loadOrCreateJwks(settings.dataDir);
  const kid = jwks.keys[0].kid;

  let provider;
  try {
    provider = createProvider(settings, clients, jwks);
    // oidc-provider validates static clients lazily; validate them all now so a bad clients file
    // stops the process at start instead of failing a token request later.
    for (const c of clients) {
      try {
        // eslint-disable-next-line no-await-in-loop
        await provider.Client.find(c.clientId);
      } catch (err) {
        fail(`clients file ${settings.clientsFile}, client "${c.clientId}": ${err.error_description || err.message}`);
      }
    }
  } catch (err) {
    if (err instanceof StartupError) throw err;
    fail(`invalid provider configuration: ${err.message}`);
  }

  provider.on('server_error', (ctx, err) => {
    console.error(`server_error ${ctx.method} ${ctx.path}:`, err);
  });

  const server = http.createServer(provider.callback());
  await new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new StartupError(
      `cannot listen on ${settings.host}:${settings.port}: ${err.message}`,
    )));
    server.listen(settings.port, settings.host, resolve);
  });

  const ms = performance.now(); // milliseconds since the process started
  console.log(
    `tenantquota-identity ready: issuer=${settings.issuer} listening=http://${settings.host}:${settings.port}`
    + ` clients=${clients.length} kid=${kid} (${created ? 'generated' : 'loaded'} ${keyFile})`
    + ` token_ttl=${settings.tokenTtl}s startup_ms=${ms.toFixed(0)}`,
  );

  const shutdown = (signal) => {
    console.log(`tenantquota-identity: ${signal} received, shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof StartupError) {
    console.error(`tenantquota-identity: startup failed: ${err.message}`);
  } else {
    console.error('tenantquota-identity: startup failed:', err);
  }
  process.exit(1);
});
