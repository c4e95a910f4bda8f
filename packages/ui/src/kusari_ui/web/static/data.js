// Caches of log series and aggregates, fetched again only when a run's log changed
// (its n_entries or log_mtime), plus the pure helpers the charts use: EMA smoothing,
// joining series onto one x grid and grouping runs for aggregation.

import {api} from './api.js';

export const STEP_KEYS = ['epoch', 'iteration', 'elapsed_time', 'episode', 'step'];

export const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
];

/** Default colour of a run: a palette entry picked by its id. */
export function defaultColor(rid) {
  return PALETTE[(Number(rid) - 1 + PALETTE.length) % PALETTE.length];
}

/** The version of a run's log: changes whenever the server saw the log change. */
export function logStamp(result) {
  return `${result.n_entries}|${result.log_mtime}`;
}

export class LogStore {
  constructor(points = 2000) {
    this.points = points;
    this.series = new Map();      // `${rid}|${x}` -> {stamp, keys: Map(key -> {x, y})}
    this.aggregates = new Map();  // `${rids}|${key}|${x}` -> {stamp, data}
    this.pending = new Map();     // request key -> Promise
  }

  clear() {
    this.series.clear();
    this.aggregates.clear();
    this.pending.clear();
  }

  /**
   * Series {x, y} of `keys` against `xKey` for one result, fetching only what is missing or
   * stale. Keys the run does not log are left out of the returned Map.
   */
  async getSeries(result, xKey, keys) {
    const wanted = keys.filter((k) => result.keys.includes(k));
    const cacheKey = `${result.id}|${xKey}`;
    const stamp = logStamp(result);
    let entry = this.series.get(cacheKey);
    if (!entry || entry.stamp !== stamp) {
      entry = {stamp, keys: new Map()};
      this.series.set(cacheKey, entry);
    }
    const missing = wanted.filter((k) => !entry.keys.has(k));
    if (missing.length > 0 && result.x_keys.includes(xKey)) {
      const requestKey = `${cacheKey}|${stamp}|${missing.join(',')}`;
      let promise = this.pending.get(requestKey);
      if (!promise) {
        promise = api.getLog(result.id, missing, xKey, this.points)
          .finally(() => this.pending.delete(requestKey));
        this.pending.set(requestKey, promise);
      }
      const data = await promise;
      for (const s of data.series) entry.keys.set(s.key, {x: s.x, y: s.y});
    }
    const out = new Map();
    for (const k of wanted) if (entry.keys.has(k)) out.set(k, entry.keys.get(k));
    return out;
  }

  /** Mean ± std of `key` across `results` (a group), from the server's aggregate endpoint. */
  async getAggregate(pid, results, key, xKey, points = 500) {
    const members = results.filter((r) => r.keys.includes(key) && r.x_keys.includes(xKey));
    if (members.length === 0) return null;
    const rids = members.map((r) => r.id).sort((a, b) => a - b);
    const cacheKey = `${pid}|${rids.join(',')}|${key}|${xKey}`;
    const stamp = members.map(logStamp).join(';');
    const cached = this.aggregates.get(cacheKey);
    if (cached && cached.stamp === stamp) return cached.data;
    let promise = this.pending.get(cacheKey + stamp);
    if (!promise) {
      promise = api.getAggregate(pid, rids, key, xKey, points)
        .finally(() => this.pending.delete(cacheKey + stamp));
      this.pending.set(cacheKey + stamp, promise);
    }
    const data = await promise;
    this.aggregates.set(cacheKey, {stamp, data});
    return data;
  }
}

/**
 * Exponential moving average with bias correction (as TensorBoard's smoothing slider):
 * s_t = w s_{t-1} + (1 - w) y_t, shown as s_t / (1 - w^n). null (a gap) stays null and does
 * not reset the average.
 */
export function ema(ys, weight) {
  if (!(weight > 0)) return ys.slice();
  const out = new Array(ys.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = acc * weight + (1 - weight) * v;
    n += 1;
    out[i] = acc / (1 - weight ** n);
  }
  return out;
}

/**
 * Put traces with their own x values onto one sorted x grid (uPlot needs one x array).
 * A point a trace lacks becomes undefined (the line goes on across it); a null from the server
 * stays null (a gap in the line).
 */
export function joinTraces(traces) {
  const xs = new Set();
  for (const t of traces) for (const x of t.x) if (x !== null) xs.add(x);
  const grid = Float64Array.from(xs).sort();
  const index = new Map();
  grid.forEach((x, i) => index.set(x, i));
  const columns = traces.map((t) => {
    const col = new Array(grid.length).fill(undefined);
    for (let i = 0; i < t.x.length; i++) {
      if (t.x[i] === null) continue;
      col[index.get(t.x[i])] = t.y[i];
    }
    return col;
  });
  return [Array.from(grid), ...columns];
}

/** The args of a run without the ignored keys, as a stable string (the group's identity). */
function groupKey(args, ignored) {
  const keys = Object.keys(args || {}).filter((k) => !ignored.has(k)).sort();
  return JSON.stringify(keys.map((k) => [k, args[k]]));
}

/**
 * Groups of runs whose args are equal except for the ignored keys. Each group gets a label
 * naming the arg values that tell it apart from the other groups.
 */
export function groupRuns(results, ignored) {
  const groups = new Map();
  for (const r of results) {
    const key = groupKey(r.args, ignored);
    if (!groups.has(key)) groups.set(key, {key, results: []});
    groups.get(key).results.push(r);
  }
  const list = [...groups.values()];
  const argKeys = new Set();
  for (const r of results) for (const k of Object.keys(r.args || {})) argKeys.add(k);
  const varying = [...argKeys].filter((k) => !ignored.has(k)).filter((k) => {
    const values = new Set(list.map((g) => JSON.stringify(g.results[0].args?.[k])));
    return values.size > 1;
  }).sort();
  for (const g of list) {
    const first = g.results[0];
    const parts = varying.map((k) => `${k}=${formatArgForLabel(first.args?.[k])}`);
    g.label = `${parts.length > 0 ? parts.join(', ') : 'all runs'} (n=${g.results.length})`;
    g.id = first.id;
  }
  return list;
}

function formatArgForLabel(value) {
  if (value === undefined) return '∅';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
