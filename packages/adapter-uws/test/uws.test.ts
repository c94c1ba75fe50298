import { serve } from '@1mrc/adapter-uws';
import { behaviourGaps, describeAdapterBehaviour, describeUws } from '@1mrc/testkit';

describeUws('adapter-uws', () =>
  describeAdapterBehaviour({
    name: 'adapter-uws',
    serve,
    refusesChunked: true,
    knownGaps: behaviourGaps('uws'),
  }),
);
