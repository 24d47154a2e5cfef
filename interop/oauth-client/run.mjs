// Drives a Drawbridge controller's authorization server with openid-client, a client nobody on this project wrote:
// RFC 8414 discovery, RFC 7591 registration, client_credentials with private_key_jwt, the API with the token,
// RFC 7662 introspection and RFC 7009 revocation. Prints one line per step and exits non-zero at the first failure.
// Usage: NODE_EXTRA_CA_CERTS=ca.pem node run.mjs https://127.0.0.1:PORT
import * as client from 'openid-client';

const issuer = new URL(process.argv[2]);
const step = (name, detail) => console.log(`ok ${name}${detail ? ': ' + detail : ''}`);
const fail = (name, why) => { console.log(`FAIL ${name}: ${why}`); process.exit(1); };

const discovered = await client.discovery(issuer, 'probe', undefined, undefined, { algorithm: 'oauth2' });
const md = discovered.serverMetadata();
if (md.issuer !== issuer.href.replace(/\/$/, '')) fail('discovery', `issuer ${md.issuer}`);
if (!md.registration_endpoint || !md.introspection_endpoint || !md.revocation_endpoint) fail('discovery', 'endpoints');
step('discovery', md.token_endpoint);

const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true,
  ['sign', 'verify']);
const jwk = await crypto.subtle.exportKey('jwk', publicKey);
jwk.kid = 'interop-1';
jwk.alg = 'ES256';
jwk.use = 'sig';
const auth = client.PrivateKeyJwt({ key: privateKey, kid: 'interop-1' });
const config = await client.dynamicClientRegistration(issuer, {
  client_name: 'openid-client interop',
  jwks: { keys: [jwk] },
  token_endpoint_auth_method: 'private_key_jwt',
  grant_types: ['client_credentials'],
  scope: 'peer nodes:read',
}, auth, { algorithm: 'oauth2' });
const registered = config.clientMetadata();
if (registered.drawbridge_status !== 'enabled') fail('registration', `status ${registered.drawbridge_status}`);
step('registration', registered.client_id);

const tokens = await client.clientCredentialsGrant(config, { scope: 'nodes:read' });
if (!tokens.access_token || tokens.token_type.toLowerCase() !== 'bearer') fail('client_credentials', 'no token');
step('client_credentials', `expires_in ${tokens.expires_in}`);

const api = async (token) => (await fetch(new URL('/v1/nodes', issuer), {
  headers: { authorization: `Bearer ${token}` } })).status;
const used = await api(tokens.access_token);
if (used !== 200) fail('api', `status ${used}`);
step('api', 'GET /v1/nodes 200');

const active = await client.tokenIntrospection(config, tokens.access_token);
if (!active.active || !String(active.scope).split(' ').includes('nodes:read')) fail('introspection', JSON.stringify(active));
step('introspection', `active, scope ${active.scope}`);

await client.tokenRevocation(config, tokens.access_token);
const after = await client.tokenIntrospection(config, tokens.access_token);
if (after.active) fail('revocation', 'still active');
const refused = await api(tokens.access_token);
if (refused !== 401) fail('revocation', `API answered ${refused}`);
step('revocation', 'inactive, API 401');

try {
  await client.clientCredentialsGrant(config, { scope: 'fence' });
  fail('invalid_scope', 'a scope the client was not registered for was granted');
} catch (e) {
  if (e.error !== 'invalid_scope') fail('invalid_scope', `${e.error ?? e}`);
  step('invalid_scope', e.error_description ?? '');
}
// The device flow: a client asking for the admin scope waits for an operator, who approves it at /device.
const { privateKey: k2, publicKey: p2 } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true,
  ['sign', 'verify']);
const jwk2 = { ...(await crypto.subtle.exportKey('jwk', p2)), kid: 'interop-2', alg: 'ES256', use: 'sig' };
const waiting = await client.dynamicClientRegistration(issuer, {
  client_name: 'openid-client device flow',
  jwks: { keys: [jwk2] },
  token_endpoint_auth_method: 'private_key_jwt',
  grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
  scope: 'admin',
}, client.PrivateKeyJwt({ key: k2, kid: 'interop-2' }), { algorithm: 'oauth2' });
if (waiting.clientMetadata().drawbridge_status !== 'needs-approval') fail('device registration', 'not waiting');
const device = await client.initiateDeviceAuthorization(waiting, { scope: 'admin' });
console.log(`user_code ${device.user_code}`);
step('device_authorization', device.verification_uri);
const approved = await client.pollDeviceAuthorizationGrant(waiting, device);
if (!String(approved.scope).split(' ').includes('admin')) fail('device_code grant', JSON.stringify(approved));
step('device_code grant', `scope ${approved.scope}`);
console.log('all steps passed');
