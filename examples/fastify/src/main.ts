import { serve } from '@1mrc/adapter-fastify';
import { runUntilSignal } from '@1mrc/server';

process.exitCode = await runUntilSignal('adapter-fastify', serve);
