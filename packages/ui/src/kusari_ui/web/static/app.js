// kusari-ui page: project list → project view (charts, results table, commands drawer).
// Plain ES modules, no build step; uPlot comes from static/vendor/uplot (window.uPlot).
// Routes: #/ (projects) and #/project/<id>. Settings of a project view (charts, colours,
// checked runs, aggregation) are kept in localStorage.

import {api} from './api.js';
import {Chart} from './charts.js';
import {CommandsPanel} from './commands.js';
import {LogStore, STEP_KEYS, defaultColor} from './data.js';
import {h, replaceChildren, toast} from './dom.js';
import {ResultsTable, compareValues, matchesFilter} from './table.js';

const REFRESH_MS = 3000;
const IGNORE_BY_DEFAULT = /^(seed|random_seed|.*_seed|out|outdir|out_dir|resume|gpu|device)$/i;

function defaultSettings() {
  return {
    charts: [],
    colors: {},
    unchecked: {},
    ignoreKeys: null,
    aggregate: false,
    sort: {col: 'name', dir: 1},
    showHidden: false,
  };
}

class App {
  constructor() {
    this.pid = null;
    this.project = null;
    this.results = [];
    this.resultsSig = null;
    this.settings = defaultSettings();
    this.filter = '';
    this.charts = [];
    this.chartsCreated = false;
    this.store = new LogStore();
    this.commandsRid = null;
    this.refreshing = false;
    this.refreshTimer = null;
    this.lastRefresh = null;
    this.table = new ResultsTable(this, document.getElementById('results-table'),
                                  document.getElementById('results-empty'));
    this.commands = new CommandsPanel(this, document.getElementById('commands-panel'));
    this.bind();
  }

  bind() {
    window.addEventListener('hashchange', () => this.route());
    document.getElementById('filter').addEventListener('input', (ev) => {
      this.filter = ev.target.value;
      this.renderTable();
      this.refreshCharts();
    });
    document.getElementById('show-hidden').addEventListener('change', (ev) => {
      this.settings.showHidden = ev.target.checked;
      this.saveSettings();
      this.renderTable();
      this.refreshCharts();
    });
    document.getElementById('aggregate').addEventListener('change', (ev) => {
      this.settings.aggregate = ev.target.checked;
      this.saveSettings();
      this.refreshCharts();
    });
    document.getElementById('add-chart').addEventListener('click', () => this.addChart());
    // A click outside an open dropdown (<details class="dropdown">) closes it.
    document.addEventListener('click', (ev) => {
      for (const dropdown of document.querySelectorAll('details.dropdown[open]')) {
        if (!dropdown.contains(ev.target)) dropdown.open = false;
      }
    });
    document.getElementById('auto-refresh').addEventListener('change', () => this.schedule());
    document.getElementById('add-project').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.createProject();
    });
  }

  // ---- routing --------------------------------------------------------------------------

  async route() {
    const m = /^#\/project\/(\d+)/.exec(window.location.hash);
    const pid = m ? Number(m[1]) : null;
    document.getElementById('view-projects').hidden = pid !== null;
    document.getElementById('view-project').hidden = pid === null;
    if (pid === null) {
      this.leaveProject();
      this.setCrumbs(null);
      await this.loadProjects();
    } else if (pid !== this.pid) {
      await this.enterProject(pid);
    }
    this.schedule();
  }

  setCrumbs(project) {
    const crumbs = document.getElementById('crumbs');
    if (!project) {
      replaceChildren(crumbs, h('span', {text: 'projects'}));
      document.title = 'kusari-ui';
      return;
    }
    replaceChildren(crumbs, h('a', {href: '#/', text: 'projects'}), ' / ',
      h('span', {class: 'project-name', 'data-testid': 'project-name', text: project.name,
                 title: project.path}));
    document.title = `${project.name} · kusari-ui`;
  }

  // ---- projects -------------------------------------------------------------------------

  async loadProjects() {
    let projects;
    try {
      projects = await api.listProjects();
    } catch (err) {
      toast(err.message, 'error');
      return;
    }
    const list = document.getElementById('project-list');
    document.getElementById('project-list-empty').hidden = projects.length > 0;
    replaceChildren(list, projects.map((p) => h('li', {},
      h('a', {href: `#/project/${p.id}`, class: 'project-link', 'data-testid': 'project-link',
              dataset: {projectId: String(p.id)}},
        h('span', {class: 'project-name', text: p.name}),
        h('span', {class: 'project-path', text: p.path}),
        h('span', {class: 'project-count',
                   text: `${p.results_count} result${p.results_count === 1 ? '' : 's'}`})))));
  }

  async createProject() {
    const path = document.getElementById('add-project-path').value.trim();
    const name = document.getElementById('add-project-name').value.trim();
    if (!path) return;
    try {
      const project = await api.createProject(path, name || undefined);
      window.location.hash = `#/project/${project.id}`;
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  // ---- project view ---------------------------------------------------------------------

  leaveProject() {
    this.closeCommands();
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    this.chartsCreated = false;
    this.pid = null;
    this.project = null;
    this.results = [];
    this.resultsSig = null;
    this.store.clear();
  }

  async enterProject(pid) {
    this.leaveProject();
    this.pid = pid;
    try {
      this.project = await api.getProject(pid);
    } catch (err) {
      toast(err.message, 'error');
      window.location.hash = '#/';
      return;
    }
    if (this.pid !== pid) return;
    this.setCrumbs(this.project);
    this.settings = {...defaultSettings(), ...this.loadSettings()};
    document.getElementById('show-hidden').checked = this.settings.showHidden;
    document.getElementById('aggregate').checked = this.settings.aggregate;
    document.getElementById('filter').value = this.filter;
    await this.refresh();
  }

  storageKey() {
    return `kusari-ui:project:${this.pid}`;
  }

  loadSettings() {
    try {
      return JSON.parse(window.localStorage.getItem(this.storageKey()) || '{}') || {};
    } catch {
      return {};
    }
  }

  saveSettings() {
    if (this.pid === null) return;
    const settings = {...this.settings, charts: this.charts.map((c) => c.config)};
    try {
      window.localStorage.setItem(this.storageKey(), JSON.stringify(settings));
    } catch {
      // Storage full or disabled: the settings last for this page only.
    }
  }

  /** Reload the results (and, through the charts, the logs that changed). */
  async refresh() {
    if (this.pid === null || this.refreshing) return;
    this.refreshing = true;
    const pid = this.pid;
    try {
      const results = await api.listResults(pid);
      if (pid !== this.pid) return;
      this.lastRefresh = new Date();
      document.getElementById('refresh-info').textContent =
        `updated ${this.lastRefresh.toLocaleTimeString()}`;
      const sig = JSON.stringify(results);
      if (sig !== this.resultsSig) {
        this.resultsSig = sig;
        this.results = results;
        this.onResultsChanged();
      }
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      this.refreshing = false;
    }
  }

  onResultsChanged() {
    if (this.settings.ignoreKeys === null) {
      this.settings.ignoreKeys = this.argKeys().filter((k) => IGNORE_BY_DEFAULT.test(k));
    }
    if (!this.chartsCreated) this.createInitialCharts();
    this.renderIgnoreKeys();
    this.renderTable();
    for (const chart of this.charts) chart.syncControls();
    this.refreshCharts();
    if (this.commandsRid !== null) this.commands.update();
  }

  /** The saved charts, or a loss chart and an accuracy chart once the runs have keys. */
  createInitialCharts() {
    const saved = this.settings.charts || [];
    if (saved.length > 0) {
      for (const config of saved) this.mountChart(config);
      this.chartsCreated = true;
      return;
    }
    const keys = this.availableKeys();
    if (keys.length === 0) return;
    this.chartsCreated = true;
    const x = this.defaultX();
    const losses = keys.filter((k) => /loss/i.test(k));
    const accs = keys.filter((k) => /acc/i.test(k));
    const first = losses.length ? losses : keys.slice(0, 1);
    this.mountChart({id: 1, left: first, right: [], x, leftLog: false, rightLog: false,
                     smoothing: 0});
    if (accs.length) {
      this.mountChart({id: 2, left: accs, right: [], x, leftLog: false, rightLog: false,
                       smoothing: 0});
    }
    this.saveSettings();
  }

  mountChart(config) {
    const chart = new Chart(this, config);
    this.charts.push(chart);
    document.getElementById('charts').appendChild(chart.el);
    return chart;
  }

  addChart() {
    const used = new Set(this.charts.flatMap((c) => [...c.config.left, ...c.config.right]));
    const keys = this.availableKeys();
    const key = keys.find((k) => !used.has(k)) ?? keys[0];
    const id = Math.max(0, ...this.charts.map((c) => c.config.id)) + 1;
    const chart = this.mountChart({id, left: key ? [key] : [], right: [], x: this.defaultX(),
                                   leftLog: false, rightLog: false, smoothing: 0});
    this.saveSettings();
    chart.refresh();
  }

  removeChart(chart) {
    chart.destroy();
    this.charts = this.charts.filter((c) => c !== chart);
    this.saveSettings();
  }

  refreshCharts() {
    for (const chart of this.charts) chart.refresh();
  }

  renderTable() {
    if (this.table.isEditing()) return;
    this.table.render();
  }

  renderIgnoreKeys() {
    const keys = this.argKeys();
    const ignored = new Set(this.settings.ignoreKeys || []);
    const box = document.getElementById('ignore-keys-list');
    const sig = JSON.stringify([keys, [...ignored]]);
    if (box.dataset.signature !== sig) {
      box.dataset.signature = sig;
      replaceChildren(box, keys.length === 0 ? h('span', {class: 'muted', text: 'no args'}) : null,
        keys.map((k) => h('label', {class: 'check'},
          h('input', {type: 'checkbox', checked: ignored.has(k), 'data-testid': 'ignore-key',
                      dataset: {key: k},
                      onchange: (ev) => this.setIgnored(k, ev.target.checked)}),
          ' ', k)));
    }
    const chosen = [...ignored];
    document.getElementById('ignore-keys-summary').textContent =
      chosen.length ? chosen.join(', ') : '(none)';
  }

  setIgnored(key, on) {
    const set = new Set(this.settings.ignoreKeys || []);
    if (on) set.add(key);
    else set.delete(key);
    this.settings.ignoreKeys = [...set];
    this.saveSettings();
    this.renderIgnoreKeys();
    if (this.settings.aggregate) this.refreshCharts();
  }

  // ---- queries used by the table and the charts -----------------------------------------

  argKeys() {
    const keys = new Set();
    for (const r of this.results) for (const k of Object.keys(r.args || {})) keys.add(k);
    return [...keys].sort();
  }

  /** Numeric log keys of all runs except the step keys, in first-seen order. */
  availableKeys() {
    const keys = [];
    for (const r of this.results) {
      for (const k of r.keys || []) if (!STEP_KEYS.includes(k) && !keys.includes(k)) keys.push(k);
    }
    return keys;
  }

  availableXKeys() {
    const present = new Set(this.results.flatMap((r) => r.x_keys || []));
    return STEP_KEYS.filter((k) => present.has(k));
  }

  defaultX() {
    const xs = this.availableXKeys();
    return xs.includes('epoch') ? 'epoch' : (xs[0] ?? 'epoch');
  }

  /** The table's rows: hidden ones only with "show hidden", the filter applied, sorted. */
  displayedResults() {
    const rows = this.results.filter((r) => (!r.is_hidden || this.settings.showHidden)
                                            && matchesFilter(r, this.filter));
    const sort = this.settings.sort;
    const value = (r) => {
      const col = sort.col;
      if (col === 'name') return r.name;
      if (col === 'status') return r.status;
      if (col.startsWith('last:')) return r.last?.[col.slice(5)];
      if (col.startsWith('best:')) return r.best?.[col.slice(5)]?.value;
      if (col.startsWith('arg:')) return r.args?.[col.slice(4)];
      return null;
    };
    return rows.map((r) => [r, value(r)])
      .sort((a, b) => {
        const c = compareValues(a[1], b[1]);
        if (c === 0) return a[0].id - b[0].id;
        const missing = a[1] === null || a[1] === undefined || b[1] === null
                        || b[1] === undefined;
        return missing ? c : c * sort.dir;
      })
      .map(([r]) => r);
  }

  /** The runs drawn in the charts: the table's rows whose checkbox is on. */
  plottedResults() {
    return this.displayedResults().filter((r) => this.isChecked(r.id));
  }

  isChecked(rid) {
    return !this.settings.unchecked[rid];
  }

  setChecked(rids, on) {
    for (const rid of rids) {
      if (on) delete this.settings.unchecked[rid];
      else this.settings.unchecked[rid] = true;
    }
    this.saveSettings();
    this.renderTable();
    this.refreshCharts();
  }

  colorOf(rid) {
    return this.settings.colors[rid] || defaultColor(rid);
  }

  setColor(rid, color, persist) {
    this.settings.colors[rid] = color;
    if (persist) this.saveSettings();
    this.refreshCharts();
  }

  setSort(col) {
    const sort = this.settings.sort;
    this.settings.sort = sort.col === col ? {col, dir: -sort.dir} : {col, dir: 1};
    this.saveSettings();
    this.renderTable();
  }

  async patchResult(rid, changes) {
    try {
      const updated = await api.patchResult(rid, changes);
      this.results = this.results.map((r) => (r.id === rid ? updated : r));
      this.resultsSig = null;
      this.renderTable();
      this.refreshCharts();
      if (this.commandsRid === rid) this.commands.update();
    } catch (err) {
      toast(err.message, 'error');
      this.renderTable();
    }
  }

  // ---- commands drawer ------------------------------------------------------------------

  openCommands(rid) {
    this.commandsRid = rid;
    document.body.classList.add('with-drawer');
    this.commands.open(rid);
    this.renderTable();
  }

  closeCommands() {
    if (this.commandsRid === null) return;
    this.commandsRid = null;
    document.body.classList.remove('with-drawer');
    this.commands.close();
    this.renderTable();
  }

  // ---- auto-refresh ---------------------------------------------------------------------

  schedule() {
    clearTimeout(this.refreshTimer);
    const auto = document.getElementById('auto-refresh').checked;
    if (!auto) return;
    this.refreshTimer = setTimeout(async () => {
      if (this.pid !== null) await this.refresh();
      this.schedule();
    }, REFRESH_MS);
  }

  /** State for tests and debugging: window.kusariUI.state(). */
  state() {
    return {
      pid: this.pid,
      results: this.results.map((r) => ({id: r.id, name: r.name, status: r.status})),
      displayed: this.displayedResults().map((r) => r.id),
      plotted: this.plottedResults().map((r) => r.id),
      settings: JSON.parse(JSON.stringify(this.settings)),
      charts: this.charts.map((c) => c.info()),
      commandsRid: this.commandsRid,
    };
  }
}

const app = new App();
window.kusariUI = {
  app,
  state: () => app.state(),
  get charts() {
    return app.charts.map((c) => c.info());
  },
  refresh: () => app.refresh(),
};
app.route();
