/**
 * The docker CLI's config.json, read the way the CLI reads it (cli/config/configfile/file.go):
 *  - the directory is $DOCKER_CONFIG, else ~/.docker;
 *  - a missing file is an empty config;
 *  - each `auths` entry's `auth` is base64 (standard alphabet) of `user:password`; it replaces any
 *    `username`/`password` fields of the entry; the password loses trailing NUL bytes;
 *  - when the file does not parse, or an `auth` does not decode, the CLI warns and carries on with an
 *    EMPTY config (LoadDefaultConfigFile), credsStore and credHelpers included. pack does the same,
 *    and says so.
 * Nothing here ever writes the file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';

export interface ConfigAuthEntry {
  readonly username?: string;
  readonly password?: string;
  /** An OAuth refresh token (`docker login` against a token server that issues one). */
  readonly identitytoken?: string;
  /** A bearer token sent as is. */
  readonly registrytoken?: string;
}

export interface DockerConfig {
  /** The file, for messages: `/home/me/.docker/config.json`. */
  readonly path: string;
  readonly auths: Readonly<Record<string, ConfigAuthEntry>>;
  readonly credsStore?: string;
  readonly credHelpers: Readonly<Record<string, string>>;
}

export interface ConfigRead {
  readonly config: DockerConfig;
  /** Why the file was ignored, when it was (no secrets in here). */
  readonly warning?: string;
}

/** `$DOCKER_CONFIG`, else `<home>/.docker`. */
export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const fromEnv = env['DOCKER_CONFIG'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homeDir, '.docker');
}

export async function readDockerConfig(dir: string): Promise<ConfigRead> {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { config: emptyConfig(path) };
    return { config: emptyConfig(path), warning: `cannot read ${path} (${code ?? String(error)}); using no stored credentials, as the docker CLI does` };
  }
  return parseDockerConfig(path, text);
}

export function emptyConfig(path: string): DockerConfig {
  return { path, auths: {}, credHelpers: {} };
}

export function parseDockerConfig(path: string, text: string): ConfigRead {
  const ignored = (why: string): ConfigRead => ({
    config: emptyConfig(path),
    warning: `${path}: ${why}; the docker CLI ignores the whole file then, and so does pack (no stored credentials)`,
  });
  if (text.trim() === '') return { config: emptyConfig(path) };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return ignored(`not valid JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ignored('the top level is not an object');
  const object = raw as Record<string, unknown>;

  const auths: Record<string, ConfigAuthEntry> = {};
  const rawAuths = object['auths'];
  if (rawAuths !== undefined && rawAuths !== null) {
    if (typeof rawAuths !== 'object' || Array.isArray(rawAuths)) return ignored('"auths" is not an object');
    for (const [key, value] of Object.entries(rawAuths as Record<string, unknown>)) {
      if (value === null) {
        auths[key] = {};
        continue;
      }
      if (typeof value !== 'object' || Array.isArray(value)) return ignored(`auths[${JSON.stringify(key)}] is not an object`);
      const entry = value as Record<string, unknown>;
      const str = (field: string): string | undefined => (typeof entry[field] === 'string' && entry[field] !== '' ? (entry[field] as string) : undefined);
      let username = str('username');
      let password = str('password');
      const auth = str('auth');
      if (auth !== undefined) {
        const decoded = decodeAuth(auth);
        // Never quote the value: it is the password.
        if (decoded === undefined) return ignored(`auths[${JSON.stringify(key)}].auth is not base64 of user:password`);
        username = decoded.username;
        password = decoded.password;
      }
      const identitytoken = str('identitytoken');
      const registrytoken = str('registrytoken');
      auths[key] = {
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(identitytoken !== undefined ? { identitytoken } : {}),
        ...(registrytoken !== undefined ? { registrytoken } : {}),
      };
    }
  }

  const credsStore = object['credsStore'];
  if (credsStore !== undefined && typeof credsStore !== 'string') return ignored('"credsStore" is not a string');
  const credHelpers: Record<string, string> = {};
  const rawHelpers = object['credHelpers'];
  if (rawHelpers !== undefined && rawHelpers !== null) {
    if (typeof rawHelpers !== 'object' || Array.isArray(rawHelpers)) return ignored('"credHelpers" is not an object');
    for (const [key, value] of Object.entries(rawHelpers as Record<string, unknown>)) {
      if (typeof value !== 'string') return ignored(`credHelpers[${JSON.stringify(key)}] is not a string`);
      credHelpers[key] = value;
    }
  }
  return {
    config: { path, auths, credHelpers, ...(typeof credsStore === 'string' && credsStore !== '' ? { credsStore } : {}) },
  };
}

/**
 * base64(user:password) with Go's StdEncoding (padding required, no URL alphabet, no whitespace);
 * the user part must not be empty. Undefined when it is not that.
 */
export function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || auth.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
}
