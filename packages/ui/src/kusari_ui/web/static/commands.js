// The commands drawer of one run: take a snapshot, stop, adjust a hyperparameter (now or at
// an epoch / iteration), the list of commands with their responses, and the snapshots.
// Polled every 2 s while open.

import {api} from './api.js';
import {h, replaceChildren, toast} from './dom.js';
import {fmtAgo, fmtClock, fmtTime, fmtValue} from './format.js';

const POLL_MS = 2000;
const HYPERPARAMS = ['lr', 'alpha', 'momentum', 'beta1', 'beta2', 'eps', 'eta',
                     'weight_decay_rate', 'rho', 'gamma'];

function describeBody(command) {
  const body = command.body || {};
  if (command.name === 'adjust_hyperparams') {
    const hp = Object.entries(body.hyperparams || {}).map(([k, v]) => `${k}=${fmtValue(v)}`);
    return `${hp.join(', ')} (${body.optimizer || 'main'})`;
  }
  if (command.name === 'take_snapshot' && body.filename) return String(body.filename);
  return Object.keys(body).length ? JSON.stringify(body) : '';
}

function describeSchedule(schedule) {
  if (!schedule) return 'now';
  return `at ${schedule.key} ${schedule.value}`;
}

function describeResponse(response) {
  if (!response) return {status: 'pending', at: '', result: ''};
  const at = [];
  if (response.epoch !== null && response.epoch !== undefined) at.push(`ep ${response.epoch}`);
  if (response.iteration !== null && response.iteration !== undefined) {
    at.push(`it ${response.iteration}`);
  }
  if (typeof response.time === 'number') at.push(fmtClock(response.time));
  let result = '';
  if (response.error) result = response.error;
  else if (response.result !== null && response.result !== undefined) {
    result = JSON.stringify(response.result);
  }
  return {status: response.status, at: at.join(' · '), result};
}

export class CommandsPanel {
  constructor(app, el) {
    this.app = app;
    this.el = el;
    this.rid = null;
    this.timer = null;
    this.commandsSig = null;
    this.snapshotsSig = null;
    this.stopArmedUntil = 0;
  }

  open(rid) {
    if (this.rid !== rid) {
      this.rid = rid;
      this.commandsSig = null;
      this.snapshotsSig = null;
      this.build();
    }
    this.el.hidden = false;
    this.update();
    this.poll();
  }

  close() {
    this.rid = null;
    this.el.hidden = true;
    clearTimeout(this.timer);
    this.timer = null;
    replaceChildren(this.el);
  }

  result() {
    return this.app.results.find((r) => r.id === this.rid) || null;
  }

  build() {
    this.titleEl = h('span', {class: 'drawer-run', 'data-testid': 'commands-run'});
    this.statusEl = h('span');
    this.heartbeatEl = h('div', {class: 'heartbeat muted', 'data-testid': 'commands-heartbeat'});
    this.stopButton = h('button', {type: 'button', class: 'danger', 'data-testid': 'cmd-stop',
                                   text: 'Stop', onclick: () => this.stop()});
    const optimizer = h('input', {type: 'text', value: 'main', size: '6',
                                  'data-testid': 'adjust-optimizer', 'aria-label': 'optimizer'});
    const name = h('input', {type: 'text', value: 'lr', size: '10', list: 'kusari-hyperparams',
                             'data-testid': 'adjust-name', 'aria-label': 'hyperparameter'});
    const value = h('input', {type: 'text', size: '8', placeholder: 'value',
                              'data-testid': 'adjust-value', 'aria-label': 'new value'});
    const when = h('select', {'data-testid': 'adjust-when', 'aria-label': 'when'},
      h('option', {value: '', text: 'now'}),
      h('option', {value: 'epoch', text: 'at epoch'}),
      h('option', {value: 'iteration', text: 'at iteration'}));
    const at = h('input', {type: 'number', min: '0', step: '1', size: '6', disabled: true,
                           'data-testid': 'adjust-at', 'aria-label': 'epoch or iteration'});
    when.addEventListener('change', () => { at.disabled = when.value === ''; });
    const form = h('form', {class: 'adjust', 'data-testid': 'adjust-form'},
      h('datalist', {id: 'kusari-hyperparams'},
        HYPERPARAMS.map((p) => h('option', {value: p}))),
      h('label', {}, 'optimizer ', optimizer),
      h('label', {}, 'set ', name),
      h('label', {}, '= ', value),
      when, at,
      h('button', {type: 'submit', 'data-testid': 'cmd-adjust', text: 'Send'}));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.adjust(optimizer.value.trim(), name.value.trim(), value.value.trim(), when.value,
                  at.value);
    });
    this.commandsBody = h('ul', {class: 'commands', 'data-testid': 'commands-list'});
    this.commandsEmpty = h('p', {class: 'muted', text: 'No command sent yet.'});
    this.snapshotsEl = h('ul', {class: 'snapshots', 'data-testid': 'snapshots'});
    replaceChildren(this.el,
      h('div', {class: 'drawer-head'},
        h('h2', {}, 'Commands'),
        h('button', {type: 'button', class: 'icon', title: 'close', 'data-testid': 'commands-close',
                     text: '×', onclick: () => this.app.closeCommands()})),
      h('div', {class: 'drawer-sub'}, this.titleEl, this.statusEl),
      this.heartbeatEl,
      h('div', {class: 'buttons'},
        h('button', {type: 'button', 'data-testid': 'cmd-snapshot', text: 'Take snapshot',
                     onclick: () => this.send('take_snapshot', {}, null)}),
        this.stopButton),
      h('h3', {text: 'Adjust a hyperparameter'}),
      form,
      h('h3', {text: 'Sent commands'}),
      this.commandsBody,
      this.commandsEmpty,
      h('h3', {text: 'Snapshots'}),
      this.snapshotsEl);
  }

  /** Refresh the header from the results list (name, status, heartbeat). */
  update() {
    const r = this.result();
    if (!r) return;
    this.titleEl.textContent = r.name;
    this.titleEl.title = r.path;
    replaceChildren(this.statusEl, h('span', {class: `badge status-${r.status}`,
                                              text: r.status}));
    const hb = r.heartbeat;
    const parts = [];
    if (hb) {
      if (hb.epoch !== undefined && hb.epoch !== null) parts.push(`epoch ${hb.epoch}`);
      if (hb.iteration !== undefined && hb.iteration !== null) {
        parts.push(`iteration ${hb.iteration}`);
      }
      if (typeof hb.updated_at === 'number') parts.push(`heartbeat ${fmtAgo(hb.updated_at)}`);
      if (hb.pid) parts.push(`pid ${hb.pid}${hb.host ? ` on ${hb.host}` : ''}`);
      if (hb.error) parts.push(`error: ${hb.error}`);
    } else {
      parts.push('No heartbeat: add kusari_ui.extensions.CommandsExtension() to the trainer '
                 + 'so that it acts on these commands.');
    }
    if (r.status !== 'running') parts.push('The run is not running now; commands wait for it.');
    this.heartbeatEl.textContent = parts.join(' · ');
  }

  async poll() {
    clearTimeout(this.timer);
    const rid = this.rid;
    if (rid === null) return;
    try {
      const [commands, snapshots] = await Promise.all([api.listCommands(rid),
                                                       api.listSnapshots(rid)]);
      if (rid !== this.rid) return;
      this.renderCommands(commands);
      this.renderSnapshots(snapshots);
    } catch (err) {
      if (rid === this.rid) toast(err.message, 'error');
    }
    if (rid === this.rid) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  renderCommands(commands) {
    const sig = JSON.stringify(commands);
    if (sig === this.commandsSig) return;
    this.commandsSig = sig;
    this.commandsEmpty.hidden = commands.length > 0;
    const rows = [...commands].reverse().map((c) => {
      const resp = describeResponse(c.response);
      return h('li', {class: 'command', 'data-testid': 'command-row',
                      dataset: {commandId: String(c.id), name: c.name, status: resp.status}},
        h('div', {class: 'command-line'},
          h('span', {class: 'command-name', text: c.name}),
          h('span', {class: 'command-body', text: describeBody(c)}),
          h('span', {class: 'spacer'}),
          h('span', {class: `badge cmd-${resp.status}`, 'data-testid': 'command-status',
                     text: resp.status})),
        h('div', {class: 'command-meta muted'},
          `sent ${fmtClock(c.created_at)} · ${describeSchedule(c.schedule)}`,
          resp.at ? ` · done at ${resp.at}` : ''),
        resp.result ? h('code', {class: `command-result ${resp.status === 'failed' ? 'error' : ''}`,
                                 'data-testid': 'command-result', text: resp.result}) : null);
    });
    replaceChildren(this.commandsBody, rows);
  }

  renderSnapshots(snapshots) {
    const sig = JSON.stringify(snapshots);
    if (sig === this.snapshotsSig) return;
    this.snapshotsSig = sig;
    if (snapshots.length === 0) {
      replaceChildren(this.snapshotsEl, h('li', {class: 'muted', text: 'none'}));
      return;
    }
    replaceChildren(this.snapshotsEl, snapshots.map((s) => h('li', {'data-testid': 'snapshot'},
      h('a', {href: api.snapshotUrl(this.rid, s.name), download: s.name, text: s.name}),
      h('span', {class: 'muted',
                 text: ` ${(s.size / 1024).toFixed(1)} KiB · ${fmtTime(s.mtime)}`}))));
  }

  async send(name, body, schedule) {
    const rid = this.rid;
    try {
      await api.postCommand(rid, name, body, schedule);
      toast(`${name} sent`);
    } catch (err) {
      toast(err.message, 'error');
      return false;
    }
    if (rid === this.rid) this.poll();
    return true;
  }

  /** Stop needs a second click within 4 s. */
  stop() {
    const now = Date.now();
    if (now > this.stopArmedUntil) {
      this.stopArmedUntil = now + 4000;
      this.stopButton.textContent = 'Confirm stop';
      this.stopButton.classList.add('armed');
      setTimeout(() => {
        if (Date.now() >= this.stopArmedUntil) this.disarmStop();
      }, 4100);
      return;
    }
    this.disarmStop();
    this.send('stop', {}, null);
  }

  disarmStop() {
    this.stopArmedUntil = 0;
    if (this.stopButton) {
      this.stopButton.textContent = 'Stop';
      this.stopButton.classList.remove('armed');
    }
  }

  adjust(optimizer, name, valueText, whenKey, atText) {
    if (!name) {
      toast('adjust: give the hyperparameter name, e.g. lr', 'error');
      return;
    }
    let value = Number(valueText);
    if (valueText === 'true' || valueText === 'false') value = valueText === 'true';
    else if (valueText === '' || !Number.isFinite(value)) {
      toast(`adjust: the value must be a number, true or false (got "${valueText}")`, 'error');
      return;
    }
    let schedule = null;
    if (whenKey) {
      const at = Number(atText);
      if (atText === '' || !Number.isInteger(at) || at < 0) {
        toast(`adjust: the ${whenKey} must be an integer >= 0 (got "${atText}")`, 'error');
        return;
      }
      schedule = {key: whenKey, value: at};
    }
    this.send('adjust_hyperparams', {optimizer: optimizer || 'main', hyperparams: {[name]: value}},
              schedule);
  }
}
