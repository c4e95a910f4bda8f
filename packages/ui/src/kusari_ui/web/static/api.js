// Client of the kusari-ui REST API (/api/v1). State-changing requests carry the per-server
// token from <meta name="kusari-ui-token">.

const TOKEN = document.querySelector('meta[name="kusari-ui-token"]')?.content ?? '';

// Relative to the page, so the dashboard also works behind a reverse proxy under a sub-path.
const BASE = new URL('api/v1/', document.baseURI);

/** An API call that failed; message is the server's "error" text when it sent one. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** Absolute URL of an API path ("projects/1/results") with optional query parameters. */
export function apiUrl(path, params = {}) {
  const url = new URL(path, BASE);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  return url.toString();
}

async function request(method, path, {params, body} = {}) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, cache: 'no-store'};
  if (method !== 'GET') headers['X-Kusari-UI-Token'] = TOKEN;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path, params), init);
  } catch (err) {
    throw new ApiError(0, `${method} ${path}: server not reachable (${err.message})`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data && typeof data.error === 'string'
      ? data.error : `${method} ${path}: HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

export const api = {
  listProjects: () => request('GET', 'projects').then((d) => d.projects),
  getProject: (pid) => request('GET', `projects/${pid}`).then((d) => d.project),
  createProject: (path, name) => request('POST', 'projects', {body: name ? {path, name} : {path}})
    .then((d) => d.project),
  listResults: (pid) => request('GET', `projects/${pid}/results`).then((d) => d.results),
  patchResult: (rid, changes) => request('PATCH', `results/${rid}`, {body: changes})
    .then((d) => d.result),
  getLog: (rid, keys, x, points) => request('GET', `results/${rid}/log`,
    {params: {keys, x, points, method: 'minmax'}}),
  getAggregate: (pid, rids, key, x, points) => request('GET', `projects/${pid}/aggregate`,
    {params: {results: rids, key, x, points}}),
  listSnapshots: (rid) => request('GET', `results/${rid}/snapshots`).then((d) => d.snapshots),
  listCommands: (rid) => request('GET', `results/${rid}/commands`).then((d) => d.commands),
  postCommand: (rid, name, body, schedule) => request('POST', `results/${rid}/commands`,
    {body: {name, body, schedule}}).then((d) => d.command),
  exportUrl: (pid, rids, keys, x) => apiUrl(`projects/${pid}/export.csv`,
    {results: rids, keys, x}),
  snapshotUrl: (rid, name) => apiUrl(`results/${rid}/snapshots/${encodeURIComponent(name)}`),
};
