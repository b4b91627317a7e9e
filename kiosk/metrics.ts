/**
 * Prometheus metrics of one kiosk, read from its status at scrape time (a registry per
 * kiosk, so several kiosks can live in one process in tests).
 */
import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import { commitCountsOf } from './store/database.js';
import type { Kiosk } from './kiosk.js';
import type { NobleScannerStats } from './radio/noble-scanner.js';

export interface MetricSource {
  name: string;
  help: string;
  type?: 'counter' | 'gauge';
  labels?: string[];
  read(): number | { labels: Record<string, string>; value: number }[];
}

export function createKioskMetrics(kiosk: Kiosk, extra: MetricSource[] = []): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'waymark_process_' });
  const sources: MetricSource[] = [
    { name: 'waymark_reports_total', help: 'Advertising reports accepted by the sightings pipeline', read: () => kiosk.pipeline.stats().reports },
    {
      name: 'waymark_reports_dropped_total', help: 'Reports dropped as invalid, by reason', labels: ['reason'],
      read: () => {
        const s = kiosk.pipeline.stats();
        const radio = kiosk.scanner.stats();
        return [
          { labels: { reason: 'rssi' }, value: s.dropped.rssi },
          { labels: { reason: 'time' }, value: s.dropped.time },
          { labels: { reason: 'radio' }, value: radio.dropped },
        ];
      },
    },
    { name: 'waymark_scan_restarts_total', help: 'Times scanning was restarted after the controller stopped it', read: () => kiosk.scanner.stats().restarts },
    {
      name: 'waymark_radio_foreign_events_total',
      help: "HCI events noble saw for connections it does not hold (the kiosk's own GATT links on the shared adapter); counted, not errors",
      read: () => nobleFigure(kiosk, 'foreignEvents'),
    },
    { name: 'waymark_radio_warnings_total', help: 'Other warnings from noble (logged at warn level)', read: () => nobleFigure(kiosk, 'warnings') },
    { name: 'waymark_sessions_open', help: 'Open dwell sessions', read: () => kiosk.pipeline.stats().sessionsOpen },
    { name: 'waymark_sessions_closed_total', help: 'Dwell sessions closed', read: () => kiosk.pipeline.stats().sessionsClosed },
    { name: 'waymark_occupancy', help: 'Visitor devices inside now (filtered RSSI over the threshold)', read: () => kiosk.pipeline.stats().occupancyNow },
    { name: 'waymark_store_pending_writes', help: 'Rows queued for the next store transaction', read: () => kiosk.store.pendingWrites },
    { name: 'waymark_store_flushes_total', help: 'Store transactions committed', read: () => kiosk.store.flushes },
    { name: 'waymark_store_ok', help: '1 when the last store write succeeded', read: () => (kiosk.status().store.ok ? 1 : 0) },
    {
      name: 'waymark_store_commits_total', labels: ['path', 'fsync'],
      help: 'Store commits: check-ins fsync the WAL at commit (one fsync per check-in, before the answer); sightings flushes do not (the WAL is fsynced at checkpoints)',
      read: () => {
        const c = commitCountsOf(kiosk.database);
        return [{ labels: { path: 'checkin', fsync: 'yes' }, value: c.durable }, { labels: { path: 'sightings', fsync: 'no' }, value: c.batched }];
      },
    },
    ...extra,
  ];
  for (const src of sources) {
    new Gauge({
      name: src.name,
      help: src.help,
      labelNames: src.labels ?? [],
      registers: [registry],
      collect() {
        const v = src.read();
        if (typeof v === 'number') this.set(v);
        else for (const { labels, value } of v) this.set(labels, value);
      },
    });
  }
  return registry;
}

/** A figure only the noble scanner keeps (0 on the serial radio). */
function nobleFigure(kiosk: Kiosk, key: 'foreignEvents' | 'warnings'): number {
  return (kiosk.scanner.stats() as Partial<NobleScannerStats>)[key] ?? 0;
}

/** What the batch outbox reports for metrics (kiosk/batcher/anchoring.ts `Anchoring.status()`). */
export interface BatchOutboxFigures {
  batches: { pending: number; sent: number; confirmed: number; lastConfirmedSeq: number | null };
  waitingRecords: number;
  sender: { commitFailures: number; reorgs: number; rebroadcasts: number; repriced: number };
}

/** Metric sources of the batch outbox: batches by state, failures, reorgs, last confirmed seq. */
export function batchMetricSources(read: () => BatchOutboxFigures): MetricSource[] {
  return [
    {
      name: 'waymark_batches', help: 'Batches in the outbox by state', labels: ['state'],
      read: () => {
        const b = read().batches;
        return (['pending', 'sent', 'confirmed'] as const).map((state) => ({ labels: { state }, value: b[state] }));
      },
    },
    { name: 'waymark_batch_records_waiting', help: 'Records waiting for the next batch', read: () => read().waitingRecords },
    { name: 'waymark_batch_commit_failures_total', help: 'Failed commit rounds (RPC errors, reverts, gas over the cap)', read: () => read().sender.commitFailures },
    { name: 'waymark_batch_reorgs_total', help: 'Commits whose receipt disappeared in a reorg and were re-committed', read: () => read().sender.reorgs },
    { name: 'waymark_batch_rebroadcasts_total', help: 'Stored commits broadcast again (after a restart, a drop or a reorg)', read: () => read().sender.rebroadcasts },
    { name: 'waymark_batch_repriced_total', help: 'Stuck commits replaced with higher fees (same nonce)', read: () => read().sender.repriced },
    { name: 'waymark_batch_last_confirmed_seq', help: 'Highest confirmed batch seq (-1 when none)', read: () => read().batches.lastConfirmedSeq ?? -1 },
  ];
}
