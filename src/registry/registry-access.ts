/**
 * How pack may talk to a registry directly, so that it reaches the same registry, the same way,
 * as the engine that pushed:
 *  - insecure or not: the engine's IndexConfigs entry for the name when there is one; else whether
 *    the host (an IP, or every address the name resolves to) lies in the engine's insecure CIDRs
 *    (moby registry/config.go isSecureIndex; a name that does not resolve counts as secure);
 *  - at all: a loopback registry (`127.0.0.1:5000`, `localhost:5000`) seen by a REMOTE engine is
 *    that engine's own loopback, not pack's — pack must not ask its own machine about it.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { EngineEndpoint } from '../engine/endpoint.js';
import type { EngineRegistrySettings } from '../engine/engine.js';

export function hostOf(domain: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(domain);
  if (bracketed) return bracketed[1] as string;
  const colon = domain.lastIndexOf(':');
  return colon === -1 ? domain : domain.slice(0, colon);
}

export async function isInsecureRegistry(domain: string, settings: EngineRegistrySettings): Promise<boolean> {
  const index = settings.indexes[domain];
  if (index !== undefined) return !index.secure;
  const host = hostOf(domain);
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
    } catch {
      return false;
    }
  }
  const insecure = new BlockList();
  for (const cidr of settings.insecureCidrs) {
    const [network, bits] = cidr.split('/');
    const family = isIP(network ?? '');
    if (family === 0 || bits === undefined) continue;
    insecure.addSubnet(network as string, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
  }
  return addresses.some((address) => insecure.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'));
}

/** A registry domain (`host[:port]`) on the loopback interface. */
export function isLoopbackHost(domain: string): boolean {
  return isLoopbackName(hostOf(domain));
}

function isLoopbackName(name: string): boolean {
  const host = name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether the engine runs on this machine (a unix socket, or TCP to a loopback address). */
export function engineIsLocal(endpoint: EngineEndpoint): boolean {
  const address = endpoint.address;
  if (address.kind === 'unix') return true;
  if (address.kind === 'tcp') return isLoopbackName(address.host);
  return false;
}

/** Whether pack asking `domain` itself reaches the registry the engine pushed to. */
export function packSeesSameRegistry(domain: string, endpoint: EngineEndpoint): boolean {
  return engineIsLocal(endpoint) || !isLoopbackHost(domain);
}
