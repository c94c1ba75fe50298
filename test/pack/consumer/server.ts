/** What `1mrc-challenge --command` starts: the user's server, on PORT and HOST from the challenge. */
import { serve } from '@1mrc/adapter-node';
import { runUntilSignal } from '@1mrc/server';

await runUntilSignal('consumer', serve);
