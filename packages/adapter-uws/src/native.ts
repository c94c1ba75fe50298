/**
 * Loads uWebSockets.js, the peer dependency, and refuses its pure-JavaScript fallback. Some
 * builds (the `@trufflesuite/uws-js-unofficial` one among them) silently swap in a slow Node.js
 * server when the native binary does not load, or when `UWS_USE_FALLBACK` is set. A uWS adapter
 * that runs on that fallback measures nothing worth measuring, so start-up fails instead.
 */

import type { TemplatedApp } from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type Uws = typeof import('uWebSockets.js');

/** `close()` exists on native builds since v20.x but is missing from their `index.d.ts`. */
export type App = TemplatedApp & { close(): void };

/**
 * The official build's install line, in the form its README gives (it is not on the npm
 * registry; npm installs the tag from GitHub). Any release with a binary for your Node.js does.
 */
export const UWS_INSTALL = 'npm install uNetworking/uWebSockets.js#v20.67.0';

/** Why uWebSockets.js cannot serve here. */
export type UwsUnavailableCode =
  /** No package named `uWebSockets.js` resolves from `@1mrc/adapter-uws`. */
  | 'NOT_INSTALLED'
  /** The installed build has no binary for this platform and Node.js ABI. */
  | 'NO_BINARY'
  /** `UWS_USE_FALLBACK` asks for the pure-JavaScript fallback. */
  | 'FALLBACK_REQUESTED';

export type UwsAvailability =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: UwsUnavailableCode;
      /** One line: what is missing, for which Node.js. */
      readonly reason: string;
      /** One line: the command that fixes it. */
      readonly fix: string;
    };

let loaded: { uws: Uws } | { error: UwsAvailability & { ok: false } } | undefined;

/**
 * Whether a native uWebSockets.js loads in this process, and if not, why and how to fix it.
 * Loads the binary on the first call (quietly: the fallback's own warnings are not printed);
 * later calls answer from that result.
 */
export function uwsAvailability(): UwsAvailability {
  const result = load();
  return 'uws' in result ? { ok: true } : result.error;
}

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  const node = `Node.js ${process.versions.node} (${process.platform}-${process.arch}, ABI ${process.versions.modules})`;
  const fix = `install the official uWebSockets.js build for your Node.js: ${UWS_INSTALL}`;
  const unavailable = (code: UwsUnavailableCode, reason: string): NonNullable<typeof loaded> => {
    loaded = { error: { ok: false, code, reason, fix } };
    return loaded;
  };
  const flag = process.env['UWS_USE_FALLBACK'];
  // The values the trufflesuite fallback switch itself accepts.
  if (/^(1|true)$/i.test(flag ?? '')) {
    return unavailable(
      'FALLBACK_REQUESTED',
      `UWS_USE_FALLBACK=${flag} asks uWebSockets.js for its slow pure-JavaScript fallback`,
    );
  }
  const require = createRequire(import.meta.url);
  let build = 'uWebSockets.js';
  try {
    const pkg = require('uWebSockets.js/package.json') as { name?: string; version?: string };
    build = `uWebSockets.js (${pkg.name ?? '?'}@${pkg.version ?? '?'})`;
  } catch {
    // The official build does not export its package.json to every resolver; the name will do.
  }
  let uws: Uws;
  const { warn, log } = console;
  try {
    // The trufflesuite build warns on the console, then falls back; the reason below says it once.
    console.warn = console.log = () => {};
    uws = require('uWebSockets.js') as Uws;
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'uWebSockets\.js'/.test(String(error));
    if (missing)
      return unavailable(
        'NOT_INSTALLED',
        'uWebSockets.js (a peer dependency of @1mrc/adapter-uws) is not installed',
      );
    return unavailable('NO_BINARY', `${build} has no binary that loads on ${node}: ${firstLine(error)}`);
  } finally {
    console.warn = warn;
    console.log = log;
  }
  if (!isNative(uws.App) || !isNative(uws.us_socket_local_port) || !isNative(uws.us_listen_socket_close)) {
    return unavailable('NO_BINARY', `${build} has no binary for ${node}`);
  }
  loaded = { uws };
  return loaded;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}

/**
 * A new app on the native uWebSockets.js, or a clear error. The module is required on first
 * use, not at import, so importing the adapter loads no binary.
 */
export function createNativeApp(): { uws: Uws; app: App } {
  const result = load();
  if (!('uws' in result)) {
    const { reason, fix } = result.error;
    throw new Error(`@1mrc/adapter-uws: ${reason}; refusing to start on anything else. Fix: ${fix}.`);
  }
  const app = result.uws.App() as Partial<App> & TemplatedApp;
  if (!isNative(app.close)) {
    throw new Error(
      '@1mrc/adapter-uws: this uWebSockets.js build has no App.close(), which a graceful shutdown needs; ' +
        `install a newer uWebSockets.js (${UWS_INSTALL}).`,
    );
  }
  return { uws: result.uws, app: app as App };
}

/** A function compiled from JavaScript prints its source; a binary's prints `[native code]`. */
function isNative(fn: unknown): boolean {
  return typeof fn === 'function' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
}
