/** The tap ledger alone: exactly-once decisions for sequenced taps (docs/PROTOCOL.md "Tap delivery"). */
import t from 'tap';
import { TapLedger } from '../../../firmware-bridge/radio/tap-ledger.js';
import { TapKind } from '../../../firmware-bridge/protocol/commands.js';

const tap = (bootId: number, tapSeq: number) => ({ kind: TapKind.TAG_UID, uid: Uint8Array.of(1, 2, 3, 4), response: new Uint8Array(0), bootId, tapSeq });

t.test('in order: delivered and acknowledged one by one; repeats dropped and acknowledged again', async (t) => {
  const ledger = new TapLedger();
  t.same(ledger.resync(), { bootId: 0, tapSeq: 0, resend: true });
  ledger.resyncReplied({ bootId: 77, lastTapSeq: 0 });
  t.same(ledger.accept(tap(77, 1)), { action: 'deliver', ack: { bootId: 77, tapSeq: 1, resend: false } });
  t.same(ledger.accept(tap(77, 2)), { action: 'deliver', ack: { bootId: 77, tapSeq: 2, resend: false } });
  t.same(ledger.accept(tap(77, 1)), { action: 'duplicate', ack: { bootId: 77, tapSeq: 2, resend: false } });
  t.same(ledger.accept(tap(77, 2)).action, 'duplicate');
  t.same(ledger.resync(), { bootId: 77, tapSeq: 2, resend: true }, 'a reconnect asks for what came after 2');
  t.same(ledger.stats(), { delivered: 2, duplicates: 2, gaps: 0, lost: 0 });
});

t.test('a gap holds later taps and asks for a resend; the resend fills it in order', async (t) => {
  const ledger = new TapLedger();
  ledger.resyncReplied({ bootId: 5, lastTapSeq: 0 });
  ledger.accept(tap(5, 1));
  t.same(ledger.accept(tap(5, 3)), { action: 'hold', ack: { bootId: 5, tapSeq: 1, resend: true } }, 'tap 2 went missing');
  t.same(ledger.accept(tap(5, 4)), { action: 'hold' }, 'one resend request is enough');
  ledger.resyncReplied({ bootId: 5, lastTapSeq: 4 });
  t.equal(ledger.accept(tap(5, 2)).action, 'deliver');
  t.equal(ledger.accept(tap(5, 3)).action, 'deliver');
  t.equal(ledger.accept(tap(5, 4)).action, 'deliver');
  t.same(ledger.stats(), { delivered: 4, duplicates: 0, gaps: 1, lost: 0 });
});

t.test('taps the firmware no longer has are counted lost, and delivery goes on', async (t) => {
  const ledger = new TapLedger();
  ledger.resyncReplied({ bootId: 5, lastTapSeq: 0 });
  ledger.accept(tap(5, 1));
  ledger.resync();
  ledger.resyncReplied({ bootId: 5, lastTapSeq: 9 });
  t.equal(ledger.accept(tap(5, 6)).action, 'deliver', 'the oldest the board still had');
  t.equal(ledger.stats().lost, 4);
  t.equal(ledger.accept(tap(5, 7)).action, 'deliver');
});

t.test('a new boot id starts the numbering again; taps without sequence always pass', async (t) => {
  const ledger = new TapLedger();
  ledger.resyncReplied({ bootId: 5, lastTapSeq: 0 });
  ledger.accept(tap(5, 1));
  ledger.accept(tap(5, 2));
  t.equal(ledger.accept(tap(6, 1)).action, 'deliver', 'tap 1 of the next boot is not a repeat');
  ledger.resync();
  ledger.resyncReplied({ bootId: 9, lastTapSeq: 0 });
  t.equal(ledger.accept(tap(9, 1)).action, 'deliver');
  const plain = { kind: TapKind.TAG_UID, uid: Uint8Array.of(1), response: new Uint8Array(0) };
  t.same(ledger.accept(plain), { action: 'deliver' });
  t.same(ledger.accept(plain), { action: 'deliver' });
  t.equal(ledger.stats().delivered, 6);
});
