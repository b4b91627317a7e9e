import t from 'tap';
import { redactUrl, scrubText, scrubValue } from '../../../core/redact.js';

t.test('an RPC URL is shown as its origin only', async (t) => {
  t.equal(redactUrl('https://user:pw@eth.example.com:8545/v2/KEY123?apikey=abc#x'), 'https://eth.example.com:8545/…');
  t.equal(redactUrl('http://127.0.0.1:8545'), 'http://127.0.0.1:8545');
  t.equal(redactUrl('http://127.0.0.1:8545/'), 'http://127.0.0.1:8545');
  t.equal(redactUrl('not a url'), '(hidden)');
});

t.test('secrets are scrubbed from log arguments, errors included', async (t) => {
  const rpc = 'https://eth.example.com/v2/SECRETKEY123?token=abc';
  t.equal(scrubText(`GET ${rpc} failed`, [rpc]), 'GET https://eth.example.com/… failed');
  const err = new Error(`could not reach ${rpc}`);
  const out = scrubValue({ msg: 'x', err, nested: [{ url: rpc }], n: 3 }, [rpc]) as any;
  t.notMatch(JSON.stringify(out), /SECRETKEY123|token=abc/);
  t.match(out.err.message, /https:\/\/eth\.example\.com\/…/);
  t.equal(out.n, 3);
  t.equal(scrubText('short secrets are ignored: abc', ['abc']), 'short secrets are ignored: abc');
});
