import { serve } from '@1mrc/adapter-uws';
import { describeAdapterBehaviour, describeUws } from '@1mrc/testkit';

describeUws('adapter-uws', () =>
  describeAdapterBehaviour({
    name: 'adapter-uws',
    serve,
    refusesChunked: true,
    // Found when uWS joined the suite node and fastify shared; reported, left to the adapter's owner.
    knownGaps: {
      'starts nothing that was pipelined behind a 413: no answer could reach the client':
        'uWS reads past the refused body and answers the request behind it',
      'handles pipelined requests one after another when the store is asynchronous':
        'uWS drops the connection, unanswered, when a second request arrives before an asynchronous store resolved the first',
    },
  }),
);
