// A real OpenID provider for the tests: npm `oidc-provider` (a certified
// implementation) on 127.0.0.1, started by scripts/test beside maildev.
//
// Its development login page takes any login name, which becomes the subject.
// The claims follow from the name, so a test says who it is by how it logs in:
//   alice@acme.test               email alice@acme.test, verified
//   unverified:alice@acme.test    the same email, email_verified=false
//   alice@acme.test#2             another subject with the same email
// Each test registers its own client (dynamic registration) with its own
// server's exact redirect URI; consent is granted automatically, as a
// company's own provider does for its own applications.
//
// `POST /test/rotate-keys` rotates the signing key as providers do: tokens
// are signed with a new key (a new `kid`) and the old one stays published.
// It does so with a new provider instance; registered clients and logins
// live in one store the instances share (the library's own memory store
// belongs to one instance).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 4300);
const issuer = `http://127.0.0.1:${port}`;

function claimsFor(subject) {
  const unverified = subject.startsWith('unverified:');
  const email = subject.replace(/^unverified:/, '').replace(/#.*$/, '');
  const local = email.split('@')[0] ?? email;
  const name = local.split(/[._-]/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join(' ');
  return { sub: subject, email, email_verified: !unverified, name };
}

const shared = new Map();

function live(key) {
  const entry = shared.get(key);
  if (entry && entry.expiresAt <= Date.now()) {
    shared.delete(key);
    return undefined;
  }
  return entry?.value;
}

function keep(key, value, expiresIn) {
  shared.set(key, { value, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity });
}

class SharedMemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    keep(this.key(id), payload, expiresIn);
    if (this.model === 'Session') keep(`sessionUid:${payload.uid}`, id, expiresIn);
    if (payload.grantId) keep(`grant:${payload.grantId}`, [...(live(`grant:${payload.grantId}`) ?? []), this.key(id)]);
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = live(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    shared.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of live(`grant:${grantId}`) ?? []) shared.delete(key);
    shared.delete(`grant:${grantId}`);
  }
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

// The first key signs.
const newProvider = (keys) => {
  const provider = new Provider(issuer, configuration(keys));
  provider.proxy = false;
  return { keys, handle: provider.callback() };
};

const configuration = (keys) => ({
  adapter: SharedMemoryAdapter,
  jwks: { keys },
  clients: [],
  async findAccount(ctx, subject) {
    return { accountId: subject, async claims() { return claimsFor(subject); } };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
  },
  pkce: { required: () => true },
  cookies: { keys: ['embark-test-provider-cookie-key'] },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  // Plain http is how a provider on the loopback is reached in tests.
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>Provider error</title><h1>${out.error}</h1><p>${out.error_description ?? ''}</p>`;
  },
});

let current = newProvider([newSigningKey()]);

createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/test/rotate-keys') {
    current = newProvider([newSigningKey(), ...current.keys].slice(0, 3));
    response.writeHead(204).end();
    return;
  }
  current.handle(request, response);
}).listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening at ${issuer}`);
});
