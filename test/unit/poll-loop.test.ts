import t from 'tap';
import { WaymarkError } from '../../core/errors.js';
import { PollLoop, errorText } from '../../kiosk/poll-loop.js';

t.test('run() joins a poll under way; stop() waits for it and ends the loop', async (t) => {
  let polls = 0;
  let release!: () => void;
  const loop = new PollLoop(async () => {
    polls++;
    await new Promise<void>((r) => (release = r));
  }, 100);
  const a = loop.run();
  const b = loop.run();
  t.equal(a, b, 'one poll, joined');
  t.equal(polls, 1);
  const stopping = loop.stop();
  release();
  t.equal(await stopping, true);
  t.equal(loop.stopped, true);
  t.equal(await loop.stop(), false, 'stopped once');
  t.throws(() => new PollLoop(async () => {}, 50), RangeError);
});

t.test('errorText: the code first, secrets scrubbed', async (t) => {
  const text = errorText(new WaymarkError('WAYMARK_ERR_CHAIN_UNAVAILABLE', 'https://x:key@node.example/v2/KEY down'), ['https://x:key@node.example/v2/KEY']);
  t.match(text, /^WAYMARK_ERR_CHAIN_UNAVAILABLE: .*https:\/\/node\.example\/… down$/);
  t.notMatch(text, /KEY|key@/);
  t.equal(errorText(new Error('plain')), 'plain');
});
