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

const provider = new Provider(issuer, {
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
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening at ${issuer}`);
});
