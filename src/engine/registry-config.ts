/**
 * Registry credentials for the base images a build pulls. The engine reads them from the
 * `X-Registry-Config` header of /build: a JSON map from registry host to AuthConfig, encoded with
 * base64 *URL* encoding (moby api/server/router/build: base64.NewDecoder(base64.URLEncoding, …)).
 *
 * dockerode encodes `registryconfig` with standard base64 (`+` and `/`), which the engine decodes
 * wrongly whenever those characters appear; pack therefore encodes the header itself and hands
 * dockerode the finished value. Padding is kept: Go's URLEncoding is the padded alphabet.
 */

export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  /** OAuth refresh token (`identitytoken` in config.json). */
  readonly identitytoken?: string;
  /** A bearer token for the registry, sent as is (`registrytoken` in config.json). */
  readonly registrytoken?: string;
  readonly serveraddress?: string;
}

/** Registry host (`docker.io` is sent as `https://index.docker.io/v1/`) → credentials. */
export type RegistryConfig = Readonly<Record<string, RegistryAuth>>;

/**
 * The seam for the credential resolver of the push issue: given the registry hosts a Dockerfile's
 * FROM lines pull from (`docker.io` for Docker Hub images, else `host[:port]`), return the
 * credentials the docker CLI would use, keyed the way the engine looks them up (Docker Hub as
 * `https://index.docker.io/v1/`). Until it exists, builds send no header and private base images
 * fail with the engine's own "pull access denied" message.
 */
export type RegistryAuthResolver = (registries: readonly string[], signal?: AbortSignal) => Promise<RegistryConfig>;

export function encodeRegistryConfig(config: RegistryConfig): string {
  return Buffer.from(JSON.stringify(config), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The `X-Registry-Auth` header of /images/{name}/push (and /distribution): one AuthConfig as JSON,
 * base64url with padding — moby registry.DecodeAuthConfig uses base64.URLEncoding, and on a decoding
 * failure it quietly pushes WITHOUT credentials, so the alphabet matters. docker-modem would encode
 * an object the same way; pack sends the finished value so that the encoding is pack's, and tested.
 * `{}` (anonymous) is sent when there are no credentials, as the docker CLI does.
 */
export function encodeRegistryAuth(auth: RegistryAuth | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {}), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
