import { serve } from '@1mrc/adapter-fastify';
import { runUntilSignal } from '@1mrc/server';

await runUntilSignal('adapter-fastify', serve);
