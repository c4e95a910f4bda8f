// The results table: a checkbox (plot this run) and a colour per run, name (rename), status,
// steps, last and best values, args; sortable by any column, filtered by the text box,
// hide / unhide with a "show hidden" toggle.

import {h, replaceChildren} from './dom.js';
import {fmtAgo, fmtArg, fmtBestStep, fmtDuration, fmtValue} from './format.js';
import {STEP_KEYS} from './data.js';

/** A value for sorting: a finite number, a string, or null (always sorted last). */
function sortable(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (value === 'NaN') return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function compareValues(a, b) {
  const x = sortable(a);
  const y = sortable(b);
  if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'number') return -1;
  if (typeof y === 'number') return 1;
  return x.localeCompare(y, undefined, {numeric: true, sensitivity: 'base'});
}

/** Text matched by the filter box: name, path, status, "key=value" of every arg. */
export function haystack(result) {
  const parts = [result.name, result.path, result.status];
  for (const [k, v] of Object.entries(result.args || {})) parts.push(`${k}=${fmtArg(v)}`);
  if (result.is_hidden) parts.push('hidden');
  if (result.is_missing) parts.push('missing');
  return parts.join(' ').toLowerCase();
}

export function matchesFilter(result, filter) {
  const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const text = haystack(result);
  return terms.every((t) => text.includes(t));
}

/** A header label that may break after each "/" of a long key. */
function keyLabel(text) {
  const parts = String(text).split('/');
  return parts.map((p, i) => (i < parts.length - 1 ? [p, '/', h('wbr')] : p));
}

function statusBadge(result) {
  const hb = result.heartbeat;
  const title = [`status: ${result.status}`];
  if (hb) {
    if (hb.updated_at) title.push(`heartbeat ${fmtAgo(hb.updated_at)}`);
    if (hb.host || hb.pid) title.push(`${hb.host ?? ''} pid ${hb.pid ?? '?'}`);
    if (hb.error) title.push(`error: ${hb.error}`);
  }
  const badge = h('span', {class: `badge status-${result.status}`, 'data-testid': 'status-badge',
                           title: title.join('\n'), text: result.status});
  if (!result.loading) return badge;
  // The server is still reading a long log; its values arrive with a later refresh.
  return [badge, h('span', {class: 'loading', 'data-testid': 'loading', text: 'reading log…'})];
}

export class ResultsTable {
  constructor(app, table, emptyEl) {
    this.app = app;
    this.table = table;
    this.thead = table.querySelector('thead');
    this.tbody = table.querySelector('tbody');
    this.emptyEl = emptyEl;
    this.editing = null;
  }

  /** The columns for the current results: fixed ones, steps, metrics, args, actions. */
  columns(results) {
    const app = this.app;
    const cols = [
      {id: 'visible', label: '', sortable: false},
      {id: 'color', label: '', sortable: false},
      {id: 'name', label: 'name', value: (r) => r.name},
      {id: 'status', label: 'status', value: (r) => r.status},
    ];
    const present = (key) => results.some((r) => r.last && key in r.last);
    for (const key of STEP_KEYS) {
      if (!present(key)) continue;
      cols.push({id: `last:${key}`, label: key === 'elapsed_time' ? 'elapsed' : key,
                 value: (r) => r.last?.[key], class: 'num', group: 'progress',
                 groupLabel: 'progress',
                 format: key === 'elapsed_time' ? fmtDuration : fmtValue});
    }
    for (const key of app.availableKeys()) {
      const group = `key:${key}`;
      cols.push({id: `last:${key}`, label: 'last', title: `last ${key}`, class: 'num',
                 value: (r) => r.last?.[key], format: fmtValue, group, groupLabel: key});
      if (results.some((r) => r.best && r.best[key])) {
        cols.push({id: `best:${key}`, label: 'best', title: `best ${key} (and when)`,
                   class: 'num best', value: (r) => r.best?.[key]?.value, best: key, group,
                   groupLabel: key});
      }
    }
    for (const key of this.argKeys(results)) {
      cols.push({id: `arg:${key}`, label: keyLabel(key), title: `arg ${key}`, class: 'arg',
                 value: (r) => r.args?.[key], format: fmtArg, group: 'args', groupLabel: 'args'});
    }
    cols.push({id: 'actions', label: '', sortable: false});
    cols.forEach((col, i) => {
      col.groupStart = Boolean(col.group) && cols[i - 1]?.group !== col.group;
    });
    return cols;
  }

  /** Arg keys whose values differ between runs (all keys when there is only one run). */
  argKeys(results) {
    const keys = [];
    for (const r of results) {
      for (const k of Object.keys(r.args || {})) if (!keys.includes(k)) keys.push(k);
    }
    if (results.length <= 1) return keys;
    return keys.filter((k) => new Set(results.map((r) => JSON.stringify(r.args?.[k]))).size > 1);
  }

  isEditing() {
    return this.editing !== null;
  }

  render() {
    const app = this.app;
    const all = app.results;
    const shown = app.displayedResults();
    const cols = this.columns(all.filter((r) => !r.is_hidden || app.settings.showHidden));
    const sort = app.settings.sort;
    this.renderHead(cols, shown, sort);
    replaceChildren(this.tbody, shown.map((r) => this.row(r, cols)));
    this.emptyEl.hidden = shown.length > 0;
    if (all.length === 0) {
      this.emptyEl.textContent = 'No results in this project yet: no sub-folder with a log file.';
    } else {
      this.emptyEl.textContent = 'No run matches the filter.';
    }
    this.table.dataset.rows = String(shown.length);
  }

  renderHead(cols, shown, sort) {
    const app = this.app;
    const allChecked = shown.length > 0 && shown.every((r) => app.isChecked(r.id));
    const master = h('input', {type: 'checkbox', checked: allChecked,
                               'data-testid': 'check-all', title: 'plot all shown runs',
                               onchange: (ev) => app.setChecked(shown.map((r) => r.id),
                                                                ev.target.checked)});
    const groups = [];
    for (const col of cols) {
      const group = col.group || '';
      const last = groups[groups.length - 1];
      if (last && last.group === group) last.span += 1;
      else groups.push({group, span: 1, label: col.groupLabel || ''});
    }
    const groupRow = h('tr', {class: 'group-row'}, groups.map((g) => h('th', {
      colspan: String(g.span),
      class: [g.group ? 'group' : '', g.group === 'args' ? 'group-args' : ''].join(' ').trim(),
      title: g.label || null}, keyLabel(g.label))));
    replaceChildren(this.thead, groupRow, h('tr', {}, cols.map((col) => {
      if (col.id === 'visible') return h('th', {class: 'narrow'}, master);
      if (col.sortable === false) return h('th', {class: 'narrow'});
      const active = sort && sort.col === col.id;
      const arrow = active ? (sort.dir > 0 ? ' ▲' : ' ▼') : '';
      return h('th', {class: `sortable ${col.class || ''} ${active ? 'sorted' : ''}`
                             + `${col.groupStart ? ' group-start' : ''}`,
                      title: col.title || null, 'data-testid': `th-${col.id}`,
                      dataset: {col: col.id},
                      onclick: () => app.setSort(col.id)},
        col.label, arrow);
    })));
  }

  row(r, cols) {
    const app = this.app;
    const classes = ['result-row'];
    if (r.is_hidden) classes.push('is-hidden');
    if (r.is_missing) classes.push('is-missing');
    if (app.commandsRid === r.id) classes.push('selected');
    const tr = h('tr', {class: classes.join(' '), 'data-testid': 'result-row',
                        dataset: {resultId: String(r.id), status: r.status}});
    for (const col of cols) {
      const td = this.cell(r, col);
      if (col.groupStart) td.classList.add('group-start');
      tr.appendChild(td);
    }
    return tr;
  }

  cell(r, col) {
    const app = this.app;
    switch (col.id) {
      case 'visible':
        return h('td', {class: 'narrow'}, h('input', {
          type: 'checkbox', checked: app.isChecked(r.id), 'data-testid': 'row-visible',
          title: 'plot this run', onchange: (ev) => app.setChecked([r.id], ev.target.checked)}));
      case 'color':
        return h('td', {class: 'narrow'}, h('input', {
          type: 'color', value: app.colorOf(r.id), class: 'swatch', 'data-testid': 'row-color',
          title: 'line colour',
          oninput: (ev) => app.setColor(r.id, ev.target.value, false),
          onchange: (ev) => app.setColor(r.id, ev.target.value, true)}));
      case 'name':
        return this.nameCell(r);
      case 'status':
        return h('td', {}, statusBadge(r));
      case 'actions':
        return h('td', {class: 'actions'},
          h('button', {type: 'button', class: 'small', 'data-testid': 'row-hide',
                       text: r.is_hidden ? 'unhide' : 'hide',
                       onclick: () => app.patchResult(r.id, {is_hidden: !r.is_hidden})}),
          h('button', {type: 'button', class: 'small', 'data-testid': 'row-commands',
                       text: 'commands', title: 'snapshot, stop, adjust hyperparameters',
                       onclick: () => app.openCommands(r.id)}));
      default:
        break;
    }
    const value = col.value(r);
    if (col.best) {
      const best = r.best?.[col.best];
      if (!best) return h('td', {class: col.class});
      return h('td', {class: col.class, title: `${best.mode} at ${fmtBestStep(best)}`},
        fmtValue(best.value), h('span', {class: 'step', text: ` ${fmtBestStep(best)}`}));
    }
    return h('td', {class: col.class, text: col.format ? col.format(value) : fmtValue(value)});
  }

  nameCell(r) {
    const app = this.app;
    const td = h('td', {class: 'name-cell'});
    const show = () => {
      this.editing = null;
      replaceChildren(td,
        h('span', {class: 'run-name', 'data-testid': 'result-name', text: r.name}),
        r.path !== r.name ? h('span', {class: 'run-path', text: r.path}) : null,
        r.is_missing ? h('span', {class: 'tag', text: 'missing'}) : null,
        r.is_hidden ? h('span', {class: 'tag', text: 'hidden'}) : null,
        h('button', {type: 'button', class: 'icon', title: 'rename', 'data-testid': 'row-rename',
                     text: '✎', onclick: edit}));
    };
    const edit = () => {
      this.editing = r.id;
      let done = false;
      const input = h('input', {type: 'text', value: r.name, class: 'rename',
                                'data-testid': 'rename-input', 'aria-label': 'run name'});
      const finish = async (save) => {
        if (done) return;
        done = true;
        const name = input.value.trim();
        show();
        if (save && name !== r.name) await app.patchResult(r.id, {name: name || null});
        else app.renderTable();
      };
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') finish(true);
        else if (ev.key === 'Escape') finish(false);
      });
      input.addEventListener('blur', () => finish(true));
      replaceChildren(td, input);
      input.focus();
      input.select();
    };
    show();
    return td;
  }
}
