/**
 * Loads uWebSockets.js and refuses its pure-JavaScript fallback. Some builds (the
 * `@trufflesuite/uws-js-unofficial` one among them) silently swap in a slow Node.js server
 * when the native binary does not load, or when `UWS_USE_FALLBACK` is set. A uWS adapter that
 * runs on that fallback measures nothing worth measuring, so start-up fails instead.
 */

import type { TemplatedApp } from 'uWebSockets.js';
import { createRequire } from 'node:module';

export type Uws = typeof import('uWebSockets.js');

/** `close()` exists on native builds since v20.x but is missing from their `index.d.ts`. */
export type App = TemplatedApp & { close(): void };

let loaded: Uws | undefined;

/**
 * A new app on the native uWebSockets.js, or a clear error. The module is required on first
 * use, not at import, so importing the adapter loads no binary.
 */
export function createNativeApp(): { uws: Uws; app: App } {
  loaded ??= checkNative(createRequire(import.meta.url)('uWebSockets.js') as Uws);
  const app = loaded.App() as Partial<App> & TemplatedApp;
  if (!isNative(app.close)) {
    throw new Error(
      '@1mrc/adapter-uws: this uWebSockets.js build has no App.close(), which a graceful shutdown needs; ' +
        'install a newer uWebSockets.js.',
    );
  }
  return { uws: loaded, app: app as App };
}

/** A function compiled from JavaScript prints its source; a binary's prints `[native code]`. */
function isNative(fn: unknown): boolean {
  return typeof fn === 'function' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
}

function checkNative(uws: Uws): Uws {
  const abi = `${process.platform}-${process.arch}, Node.js ABI ${process.versions.modules}`;
  if (!isNative(uws.App) || !isNative(uws.us_socket_local_port) || !isNative(uws.us_listen_socket_close)) {
    const flag = process.env['UWS_USE_FALLBACK'];
    // The values the fallback switch itself accepts.
    const cause = /^(1|true)$/i.test(flag ?? '')
      ? `UWS_USE_FALLBACK=${flag} is set`
      : `its native binary did not load for ${abi} (see the warning it printed above)`;
    throw new Error(
      `@1mrc/adapter-uws: uWebSockets.js is running its pure-JavaScript fallback because ${cause}. ` +
        'The fallback is slow and is not uWebSockets; refusing to start. Unset UWS_USE_FALLBACK, or ' +
        'install a uWebSockets.js build with a binary for this platform and Node.js version.',
    );
  }
  return uws;
}
