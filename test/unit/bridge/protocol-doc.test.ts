import t from 'tap';
import { readFileSync } from 'node:fs';
import { COMMANDS, DEVICE_ERRORS, EVENTS } from '../../../firmware-bridge/protocol/commands.js';
import { MAX_ENCODED_LENGTH, MAX_FRAME_LENGTH, MAX_PAYLOAD_LENGTH } from '../../../firmware-bridge/protocol/frame.js';

// docs/PROTOCOL.md "Serial link" and commands.ts must list the same ids, names and timeouts.
const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
const start = doc.indexOf('## Serial link (co-processor)');
const end = doc.indexOf('\n## ', start + 1);
const section = doc.slice(start, end < 0 ? undefined : end);

t.test('the section exists', async (t) => {
  t.ok(start >= 0);
});

t.test('command table agrees with COMMANDS', async (t) => {
  const rows = [...section.matchAll(/^\| 0x([0-9A-F]{2}) \| ([A-Z_]+) \| (\d+) ms \|/gm)].map((m) => [m[2], parseInt(m[1], 16), Number(m[3])]);
  t.same(rows, Object.entries(COMMANDS).map(([name, c]) => [name, c.id, c.timeoutMs]));
});

t.test('event table agrees with EVENTS', async (t) => {
  const rows = [...section.matchAll(/^\| 0x([89][0-9A-F]) \| ([A-Z_]+) \|/gm)].map((m) => [m[2], parseInt(m[1], 16)]);
  t.same(rows, Object.entries(EVENTS).map(([name, e]) => [name, e.id]));
});

t.test('device error table agrees with DEVICE_ERRORS', async (t) => {
  const rows = [...section.matchAll(/^\| 0x([0-9A-F]{4}) \| ([A-Z_]+) \|/gm)].map((m) => [m[2], parseInt(m[1], 16)]);
  t.same(rows, Object.entries(DEVICE_ERRORS));
});

t.test('stated sizes agree with frame.ts', async (t) => {
  t.match(section, `at most **${MAX_PAYLOAD_LENGTH}**`);
  t.match(section, `= **${MAX_FRAME_LENGTH}**`);
  t.match(section, `= **${MAX_ENCODED_LENGTH}**`);
});
