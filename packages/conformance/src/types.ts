import type { Dispatcher } from 'undici';

/** A server the suite talks to: anything with a base URL and a way to stop it. */
export interface ServerUnderTest {
  /** Base URL, e.g. `http://127.0.0.1:8080`; no trailing slash needed. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a fresh server with the default limits (4 KiB events, 1 MiB / 10,000-event batches,
 * 256-byte user ids). `resetToken` set: `POST /reset` must be enabled with that token.
 */
export type StartServer = (options: { readonly resetToken?: string }) => Promise<ServerUnderTest>;

export type { Answer } from './raw-http.js';

/**
 * What a case needs from the server: `any` (default) shares one server with other cases and
 * only looks at differences; `fresh` starts from zero stats; `reset-token` needs `/reset`
 * enabled (the token is in the context); `no-reset-token` needs it disabled.
 */
export type Need = 'any' | 'fresh' | 'reset-token' | 'no-reset-token';

export interface CaseContext {
  /** The server to talk to, chosen for the case's need. */
  readonly url: string;
  /** The reset token, for `reset-token` cases. */
  readonly resetToken: string | undefined;
  /** The suite's own connection pool, closed when the suite closes. */
  readonly dispatcher: Dispatcher;
}

export interface CaseDefinition {
  readonly name: string;
  readonly needs?: Need;
  run(context: CaseContext): Promise<void>;
}
