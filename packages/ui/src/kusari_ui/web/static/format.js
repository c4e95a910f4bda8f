// Formatting of numbers, times and JSON values for display (always as plain text).

/** A number in at most ~4 significant digits; strings ("NaN", "Infinity", text) as they are. */
export function fmtValue(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return fmtNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function fmtNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** Seconds as "1h 02m", "3m 05s" or "12.3 s". */
export function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return fmtValue(seconds);
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(s % 60).padStart(2, '0')}s`;
}

/** Unix seconds or an ISO 8601 string as a local date-time string. */
export function fmtTime(value) {
  let date;
  if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string') date = new Date(value);
  else return '';
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** Unix seconds or an ISO 8601 string as a local time of day. */
export function fmtClock(value) {
  let date;
  if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string') date = new Date(value);
  else return '';
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleTimeString();
}

/** "3 s ago", "5 min ago", … from unix seconds. */
export function fmtAgo(unixSeconds) {
  if (typeof unixSeconds !== 'number') return '';
  const d = Math.max(0, Date.now() / 1000 - unixSeconds);
  if (d < 60) return `${Math.round(d)} s ago`;
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return `${Math.round(d / 86400)} d ago`;
}

/** A JSON value of an argument for a table cell. */
export function fmtArg(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return fmtNumber(value);
  return JSON.stringify(value);
}

/** The step at which a best value happened, e.g. "ep 3" or "it 1200". */
export function fmtBestStep(best) {
  if (!best) return '';
  if (best.epoch !== null && best.epoch !== undefined) return `ep ${best.epoch}`;
  if (best.iteration !== null && best.iteration !== undefined) return `it ${best.iteration}`;
  if (best.step !== null && best.step !== undefined) return `step ${best.step}`;
  if (best.episode !== null && best.episode !== undefined) return `episode ${best.episode}`;
  return `#${best.index}`;
}
