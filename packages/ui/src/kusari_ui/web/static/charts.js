// One chart card: y keys on a left and a right axis, an x key, linear / log scales, EMA
// smoothing (raw line faded behind the smoothed one), runs overlaid or aggregated into
// mean ± std bands, uPlot's drag-to-zoom (double-click resets), CSV and PNG export.

import {api} from './api.js';
import {ema, groupRuns, joinTraces} from './data.js';
import {h, replaceChildren, toast} from './dom.js';
import {fmtNumber} from './format.js';

const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
const HEIGHT = 260;

/** "#rrggbb" with an alpha as "rgba(r, g, b, a)". */
export function withAlpha(hex, alpha) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  const [r, g, b] = m.slice(1).map((c) => parseInt(c, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function countAndSum(values) {
  let n = 0;
  let sum = 0;
  for (const v of values || []) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      n += 1;
      sum += v;
    }
  }
  return {n, sum};
}

/** Width of a y axis that fits its tick labels. */
function axisSize(self, values, axisIdx, cycleNum) {
  const axis = self.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  const longest = (values || []).reduce((m, v) => Math.max(m, String(v ?? '').length), 0);
  return Math.max(40, 14 + longest * 7 + (axis.label ? 18 : 0));
}

/** A short line drawn with a dash pattern, for the legend. */
function lineSample(dash) {
  const ratio = window.devicePixelRatio || 1;
  const canvas = h('canvas', {class: 'legend-line', width: String(Math.round(24 * ratio)),
                              height: String(Math.round(8 * ratio))});
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  ctx.strokeStyle = '#4b5563';
  ctx.lineWidth = 1.5;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(0, 4);
  ctx.lineTo(24, 4);
  ctx.stroke();
  return canvas;
}

function shortKeys(keys) {
  const text = keys.join(', ');
  return text.length > 48 ? `${text.slice(0, 45)}…` : text;
}

export class Chart {
  /**
   * app: the page (results, colours, log store, aggregation settings);
   * config: {id, left: [keys], right: [keys], x, leftLog, rightLog, smoothing}.
   */
  constructor(app, config) {
    this.app = app;
    this.config = config;
    this.u = null;
    this.signature = null;
    this.traces = [];
    this.renders = 0;
    this.generation = 0;
    this.zoomed = false;
    this.legendItems = [];
    this.build();
  }

  // ---- DOM ------------------------------------------------------------------------------

  build() {
    const c = this.config;
    this.leftBox = h('div', {class: 'dropdown-body'});
    this.rightBox = h('div', {class: 'dropdown-body'});
    this.leftSummary = h('span', {class: 'keys-summary'});
    this.rightSummary = h('span', {class: 'keys-summary'});
    this.xSelect = h('select', {'data-testid': 'chart-x', 'aria-label': 'x axis',
                                onchange: () => this.change({x: this.xSelect.value})});
    const scaleSelect = (side) => h('select', {
      'data-testid': `chart-${side}-scale`, 'aria-label': `${side} axis scale`,
      onchange: (ev) => this.change({[`${side}Log`]: ev.target.value === 'log'}),
    }, h('option', {value: 'linear', text: 'lin'}), h('option', {value: 'log', text: 'log'}));
    this.leftScale = scaleSelect('left');
    this.rightScale = scaleSelect('right');
    this.leftScale.value = c.leftLog ? 'log' : 'linear';
    this.rightScale.value = c.rightLog ? 'log' : 'linear';
    this.smoothing = h('input', {
      type: 'range', min: '0', max: '0.99', step: '0.01', value: String(c.smoothing || 0),
      'data-testid': 'chart-smoothing', 'aria-label': 'EMA smoothing',
      oninput: () => this.change({smoothing: Number(this.smoothing.value)}),
    });
    this.smoothingValue = h('span', {class: 'num', 'data-testid': 'chart-smoothing-value'});
    this.csvLink = h('a', {class: 'button', 'data-testid': 'chart-csv', download: '',
                           title: 'CSV of the plotted runs × keys', text: 'CSV'});
    this.pngButton = h('button', {type: 'button', 'data-testid': 'chart-png',
                                  title: 'Download this chart as PNG', text: 'PNG',
                                  onclick: () => this.downloadPng()});
    const removeButton = h('button', {type: 'button', class: 'icon', title: 'Remove this chart',
                                      'data-testid': 'chart-remove', text: '×',
                                      onclick: () => this.app.removeChart(this)});
    this.plotEl = h('div', {class: 'chart-plot', 'data-testid': 'chart-plot'});
    this.plotEl.addEventListener('dblclick', () => { this.zoomed = false; });
    this.emptyEl = h('div', {class: 'chart-empty', 'data-testid': 'chart-empty', hidden: true});
    this.legendEl = h('div', {class: 'chart-legend', 'data-testid': 'chart-legend'});
    this.el = h('section', {class: 'chart-card', 'data-testid': 'chart',
                            dataset: {chartId: String(c.id)}},
      h('div', {class: 'chart-head'},
        h('details', {class: 'dropdown', 'data-testid': 'chart-left-keys'},
          h('summary', {}, 'left: ', this.leftSummary), this.leftBox),
        h('details', {class: 'dropdown', 'data-testid': 'chart-right-keys'},
          h('summary', {}, 'right: ', this.rightSummary), this.rightBox),
        h('label', {class: 'field'}, 'x ', this.xSelect),
        h('label', {class: 'field'}, 'L ', this.leftScale),
        h('label', {class: 'field'}, 'R ', this.rightScale),
        h('label', {class: 'field smoothing'}, 'smooth ', this.smoothing, this.smoothingValue),
        h('span', {class: 'spacer'}),
        this.csvLink, this.pngButton, removeButton),
      this.plotEl, this.emptyEl, this.legendEl);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.plotEl);
    this.syncControls();
  }

  /** Update the key lists, x options and labels from the config and the runs' keys. */
  syncControls() {
    const c = this.config;
    const keys = this.app.availableKeys();
    const fill = (box, side) => {
      const chosen = c[side];
      const all = [...new Set([...keys, ...chosen])];
      const signature = JSON.stringify([all, chosen]);
      if (box.dataset.signature === signature) return;
      box.dataset.signature = signature;
      replaceChildren(box, all.length === 0 ? h('span', {class: 'muted', text: 'no keys'}) : null,
        all.map((key) => h('label', {class: 'check'},
          h('input', {type: 'checkbox', checked: chosen.includes(key), value: key,
                      'data-testid': `key-${side}`, dataset: {key},
                      onchange: (ev) => this.toggleKey(side, key, ev.target.checked)}),
          ' ', key)));
    };
    fill(this.leftBox, 'left');
    fill(this.rightBox, 'right');
    this.leftSummary.textContent = c.left.length ? shortKeys(c.left) : '—';
    this.rightSummary.textContent = c.right.length ? shortKeys(c.right) : '—';
    const xs = [...new Set([...this.app.availableXKeys(), c.x])];
    const xsig = xs.join('\n');
    if (this.xSelect.dataset.signature !== xsig) {
      this.xSelect.dataset.signature = xsig;
      replaceChildren(this.xSelect, xs.map((x) => h('option', {value: x, text: x})));
    }
    this.xSelect.value = c.x;
    this.smoothingValue.textContent = Number(c.smoothing || 0).toFixed(2);
    this.smoothing.value = String(c.smoothing || 0);
    this.el.dataset.xKey = c.x;
    this.el.dataset.smoothing = String(c.smoothing || 0);
  }

  toggleKey(side, key, on) {
    const list = this.config[side].filter((k) => k !== key);
    if (on) list.push(key);
    this.change({[side]: list});
  }

  change(patch) {
    Object.assign(this.config, patch);
    if ('x' in patch) this.zoomed = false;
    this.syncControls();
    this.app.saveSettings();
    this.refresh();
  }

  destroy() {
    this.resizeObserver.disconnect();
    if (this.u) this.u.destroy();
    this.u = null;
    this.el.remove();
  }

  resize() {
    if (!this.u) return;
    const width = Math.max(200, this.plotEl.clientWidth);
    if (width !== this.u.width) this.u.setSize({width, height: HEIGHT});
  }

  // ---- data -----------------------------------------------------------------------------

  keyDefs() {
    const c = this.config;
    const defs = [...c.left.map((key) => ({key, scale: 'y'})),
                  ...c.right.map((key) => ({key, scale: 'y2'}))];
    defs.forEach((d, i) => { d.dash = DASHES[i % DASHES.length]; });
    return defs;
  }

  /** The traces to draw: {label, kind, scale, color, dash, x, y, width, stroke, band?}. */
  async collect() {
    const c = this.config;
    const runs = this.app.plottedResults().filter((r) => r.x_keys.includes(c.x));
    const defs = this.keyDefs();
    const w = Number(c.smoothing || 0);
    const traces = [];
    if (this.app.settings.aggregate) {
      const groups = groupRuns(runs, new Set(this.app.settings.ignoreKeys));
      const jobs = [];
      for (const g of groups) {
        for (const d of defs) {
          jobs.push(this.app.store.getAggregate(this.app.pid, g.results, d.key, c.x)
            .then((data) => ({g, d, data})));
        }
      }
      for (const {g, d, data} of await Promise.all(jobs)) {
        if (!data || data.x.length === 0) continue;
        const color = this.app.colorOf(g.id);
        const hi = data.mean.map((m, i) => (m === null || data.std[i] === null
          ? null : m + data.std[i]));
        const lo = data.mean.map((m, i) => (m === null || data.std[i] === null
          ? null : m - data.std[i]));
        const label = `${g.label} · ${d.key}`;
        const base = {scale: d.scale, color, dash: d.dash, x: data.x,
                      entity: `g:${g.key}`, entityLabel: g.label};
        traces.push({...base, kind: 'mean', label, y: ema(data.mean, w), stroke: color,
                     width: 2});
        traces.push({...base, kind: 'hi', label: `${label} +std`, y: ema(hi, w),
                     stroke: withAlpha(color, 0.35), width: 1});
        traces.push({...base, kind: 'lo', label: `${label} −std`, y: ema(lo, w),
                     stroke: withAlpha(color, 0.35), width: 1});
      }
    } else {
      const jobs = runs.map((r) => this.app.store.getSeries(r, c.x, defs.map((d) => d.key))
        .then((series) => ({r, series})));
      for (const {r, series} of await Promise.all(jobs)) {
        const color = this.app.colorOf(r.id);
        for (const d of defs) {
          const s = series.get(d.key);
          if (!s) continue;
          const label = `${r.name} · ${d.key}`;
          const base = {scale: d.scale, color, dash: d.dash, x: s.x,
                        entity: `r:${r.id}`, entityLabel: r.name};
          if (w > 0) {
            traces.push({...base, kind: 'raw', label: `${label} (raw)`, y: s.y,
                         stroke: withAlpha(color, 0.25), width: 1});
            traces.push({...base, kind: 'smooth', label, y: ema(s.y, w), stroke: color,
                         width: 2});
          } else {
            traces.push({...base, kind: 'line', label, y: s.y, stroke: color, width: 1.5});
          }
        }
      }
    }
    for (const t of traces) {
      const log = t.scale === 'y' ? c.leftLog : c.rightLog;
      if (log) t.y = t.y.map((v) => (typeof v === 'number' && v <= 0 ? null : v));
    }
    return {runs, traces};
  }

  /** Fetch what changed and redraw. Calls overlapping in time: only the last one draws. */
  async refresh() {
    const generation = ++this.generation;
    let collected;
    try {
      collected = await this.collect();
    } catch (err) {
      if (generation === this.generation) toast(err.message, 'error');
      return;
    }
    if (generation !== this.generation) return;
    this.updateCsvLink(collected.runs);
    this.draw(collected.traces);
  }

  updateCsvLink(runs) {
    const c = this.config;
    const keys = [...c.left, ...c.right];
    const rids = runs.map((r) => r.id);
    if (rids.length === 0 || keys.length === 0) {
      this.csvLink.removeAttribute('href');
      this.csvLink.classList.add('disabled');
      return;
    }
    this.csvLink.classList.remove('disabled');
    this.csvLink.href = api.exportUrl(this.app.pid, rids, keys, c.x);
  }

  // ---- drawing --------------------------------------------------------------------------

  draw(traces) {
    const c = this.config;
    this.traces = traces;
    this.renders += 1;
    this.el.dataset.renders = String(this.renders);
    this.el.dataset.series = String(traces.length);
    this.el.dataset.bands = String(traces.filter((t) => t.kind === 'mean').length);
    if (traces.length === 0) {
      if (this.u) this.u.destroy();
      this.u = null;
      this.signature = null;
      this.emptyEl.hidden = false;
      this.emptyEl.textContent = c.left.length + c.right.length === 0
        ? 'Pick keys for the left or right axis.'
        : `No data for these keys against ${c.x} in the checked runs.`;
      replaceChildren(this.legendEl);
      this.legendItems = [];
      return;
    }
    this.emptyEl.hidden = true;
    const data = joinTraces(traces);
    const signature = JSON.stringify([c.x, c.leftLog, c.rightLog,
      traces.map((t) => [t.label, t.kind, t.scale, t.stroke, t.dash, t.width])]);
    if (this.u && signature === this.signature) {
      this.u.setData(data, !this.zoomed);
    } else {
      if (this.u) this.u.destroy();
      this.zoomed = false;
      this.u = new window.uPlot(this.options(traces), data, this.plotEl);
      this.signature = signature;
      this.buildLegend(traces);
    }
    this.updateLegendValues();
  }

  options(traces) {
    const c = this.config;
    const hasRight = traces.some((t) => t.scale === 'y2');
    const series = [{label: c.x}];
    const bands = [];
    traces.forEach((t, i) => {
      const edge = t.kind === 'hi' || t.kind === 'lo';
      series.push({
        label: t.label, scale: t.scale, stroke: t.stroke, width: t.width, dash: t.dash,
        spanGaps: false,
        points: edge || t.kind === 'raw' ? {show: false} : {size: 5},
      });
      if (t.kind === 'mean') bands.push({series: [i + 2, i + 3], fill: withAlpha(t.color, 0.18)});
    });
    const axisStyle = {stroke: '#555', grid: {stroke: '#eceef1', width: 1},
                       ticks: {stroke: '#d5d8dc', width: 1}};
    const axes = [
      {...axisStyle, label: c.x, labelSize: 18, size: 34},
      {...axisStyle, scale: 'y', label: shortKeys(c.left), labelSize: 16, size: axisSize},
    ];
    if (hasRight) {
      axes.push({...axisStyle, scale: 'y2', side: 1, label: shortKeys(c.right), labelSize: 16,
                 size: axisSize, grid: {show: false}});
    }
    const scales = {x: {time: false}, y: {distr: c.leftLog ? 3 : 1, log: 10}};
    if (hasRight) scales.y2 = {distr: c.rightLog ? 3 : 1, log: 10};
    return {
      width: Math.max(200, this.plotEl.clientWidth || 600),
      height: HEIGHT,
      scales, axes, series, bands,
      legend: {show: false},
      cursor: {sync: {key: `kusari-x-${c.x}`}, drag: {x: true, y: false}},
      hooks: {
        setCursor: [() => this.updateLegendValues()],
        setSelect: [(u) => { if (u.select.width > 0) this.zoomed = true; }],
      },
    };
  }

  /**
   * The legend: the line style of each key, then one entry per run (or group) with its colour
   * and, under the cursor, its value of each key.
   */
  buildLegend(traces) {
    const keyStyles = this.keyDefs().map((d) => h('span', {class: 'legend-key'},
      lineSample(d.dash), h('span', {text: d.scale === 'y2' ? `${d.key} (right)` : d.key})));
    this.xReadout = h('span', {class: 'legend-x num'});
    const entities = new Map();
    traces.forEach((t, i) => {
      if (t.kind === 'raw' || t.kind === 'hi' || t.kind === 'lo') return;
      if (!entities.has(t.entity)) entities.set(t.entity, {name: t.entityLabel, color: t.color,
                                                           series: []});
      entities.get(t.entity).series.push(i + 1);
    });
    this.legendItems = [...entities.values()].map((e) => ({
      series: e.series,
      value: h('span', {class: 'legend-value num'}),
      name: e.name,
      color: e.color,
    }));
    replaceChildren(this.legendEl,
      h('div', {class: 'legend-keys'}, keyStyles, this.xReadout),
      h('div', {class: 'legend-runs'}, this.legendItems.map((item) => h('span', {
        class: 'legend-item', 'data-testid': 'legend-item', title: item.name},
      h('span', {class: 'legend-dot', style: {background: item.color}}),
      h('span', {class: 'legend-name', text: item.name}), item.value))));
  }

  updateLegendValues() {
    if (!this.u || !this.xReadout) return;
    const idx = this.u.cursor.idx;
    const has = idx !== null && idx !== undefined;
    this.xReadout.textContent = has ? `${this.config.x} ${fmtNumber(this.u.data[0][idx])}` : '';
    for (const item of this.legendItems) {
      const values = has ? item.series.map((si) => this.u.data[si][idx]) : [];
      item.value.textContent = values.some((v) => typeof v === 'number')
        ? values.map((v) => (typeof v === 'number' ? fmtNumber(v) : '–')).join(' / ') : '';
    }
  }

  // ---- export ---------------------------------------------------------------------------

  /** The chart (axes, lines, bands) with a white background, a title and a legend. */
  toCanvas() {
    const src = this.u.ctx.canvas;
    const ratio = src.width / this.u.width;
    const entries = this.traces.filter((t) => t.kind !== 'raw' && t.kind !== 'hi'
                                              && t.kind !== 'lo').slice(0, 40);
    const lineHeight = Math.round(16 * ratio);
    const titleHeight = Math.round(24 * ratio);
    const out = document.createElement('canvas');
    out.width = src.width;
    out.height = titleHeight + src.height + lineHeight * entries.length + Math.round(8 * ratio);
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = '#222';
    ctx.font = `${Math.round(13 * ratio)}px sans-serif`;
    ctx.textBaseline = 'middle';
    const c = this.config;
    const title = [c.left.join(', '), c.right.length ? `| right: ${c.right.join(', ')}` : '',
                   `vs ${c.x}`].filter(Boolean).join(' ');
    ctx.fillText(title, 8 * ratio, titleHeight / 2);
    ctx.drawImage(src, 0, titleHeight);
    ctx.font = `${Math.round(11 * ratio)}px sans-serif`;
    entries.forEach((t, i) => {
      const y = titleHeight + src.height + lineHeight * (i + 0.5);
      ctx.strokeStyle = t.color;
      ctx.lineWidth = 2 * ratio;
      ctx.setLineDash(t.dash.map((d) => d * ratio));
      ctx.beginPath();
      ctx.moveTo(10 * ratio, y);
      ctx.lineTo(30 * ratio, y);
      ctx.stroke();
      ctx.fillStyle = '#222';
      ctx.fillText(t.label, 36 * ratio, y);
    });
    return out;
  }

  downloadPng() {
    if (!this.u) {
      toast('Nothing to download: the chart is empty.', 'error');
      return;
    }
    const url = this.toCanvas().toDataURL('image/png');
    const name = `kusari-project${this.app.pid}-chart${this.config.id}-${this.config.x}.png`;
    const link = h('a', {href: url, download: name, hidden: true});
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  /** State for tests and debugging (window.kusariUI.charts). */
  info() {
    const c = this.config;
    return {
      id: c.id, x: c.x, left: [...c.left], right: [...c.right], leftLog: c.leftLog,
      rightLog: c.rightLog, smoothing: c.smoothing, renders: this.renders, zoomed: this.zoomed,
      bands: this.u ? this.u.bands.length : 0,
      xScale: this.u ? [this.u.scales.x.min, this.u.scales.x.max] : null,
      xRange: this.u && this.u.data[0].length
        ? [this.u.data[0][0], this.u.data[0][this.u.data[0].length - 1]] : null,
      series: this.traces.map((t, i) => ({
        label: t.label, kind: t.kind, scale: t.scale, color: t.color,
        ...countAndSum(this.u ? this.u.data[i + 1] : []),
      })),
    };
  }
}
