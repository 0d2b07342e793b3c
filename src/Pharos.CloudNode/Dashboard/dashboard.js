// The Pharos dashboard. Live through GET /ws/status; polls GET /worker/status and GET /jobs every 2 s whenever the
// WebSocket is not open. Everything from the server is written with textContent (repository URLs are user input).
'use strict';
(() => {
  const TOKEN_KEY = 'pharos.token';
  const POLL_MS = 2000;
  const JOBS_LIMIT = 20;
  const $ = (id) => document.getElementById(id);

  let socket = null;
  let pollTimer = null;
  let reconnectTimer = null;
  let reconnectDelay = 3000;
  let jobsTimer = null;
  let jobsBusy = false;
  let jobsAgain = false;
  let lastJobs = [];
  const workerViews = new Map();

  // ---- token -------------------------------------------------------------------------------------------------
  const getToken = () => { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; } };
  const setToken = (value) => {
    try { value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY); } catch { /* private mode */ }
    showTokenState();
  };
  function showTokenState() {
    const has = getToken() !== '';
    $('token-state').textContent = has ? 'A token is set for this tab.' : 'No token: the page only reads.';
    $('token-forget').hidden = !has;
    $('token-save').textContent = has ? 'Replace token' : 'Use token';
  }
  const authHeaders = () => { const t = getToken(); return t ? { Authorization: 'Bearer ' + t } : {}; };

  function notify(text, kind) {
    const el = $('notice');
    el.textContent = text;
    el.className = kind === 'info' ? 'notice info' : 'notice';
    el.hidden = !text;
  }

  async function problemDetail(response) {
    try {
      const body = await response.json();
      return typeof body.detail === 'string' ? body.detail : (typeof body.title === 'string' ? body.title : '');
    } catch { return ''; }
  }

  function authProblem(status, action) {
    return status === 401
      ? `The token was refused (401 Unauthorized): it is missing, malformed or unknown. Enter a valid token to ${action}.`
      : `This token is not allowed to ${action} (403 Forbidden): it lacks the scope.`;
  }

  // ---- reading ---------------------------------------------------------------------------------------------------
  let readRefused = false;
  async function getJson(path) {
    const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      if (!readRefused) {
        readRefused = true;
        notify(authProblem(response.status, 'read the status of this node'));
        pauseForToken();
      }
      return null;
    }
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    if (readRefused) { readRefused = false; notify(''); }
    return response.json();
  }

  async function refreshStatus() {
    try {
      const status = await getJson('/worker/status');
      if (status) renderStatus(status);
    } catch {
      setConnection(socket ? 'live' : 'polling', 'Node unreachable; retrying every 2 s');
    }
  }

  async function refreshJobs() {
    if (jobsBusy) { jobsAgain = true; return; }
    jobsBusy = true;
    try {
      const [page, queued] = await Promise.all([
        getJson(`/jobs?limit=${JOBS_LIMIT}`),
        getJson('/jobs?limit=100&status=queued'),
      ]);
      if (page && Array.isArray(page.jobs)) { lastJobs = page.jobs; renderJobs(page.jobs); }
      if (queued && Array.isArray(queued.jobs)) renderPriorities(queued.jobs);
    } catch {
      // The status call reports an unreachable node.
    } finally {
      jobsBusy = false;
      if (jobsAgain) { jobsAgain = false; refreshJobs(); }
    }
  }

  // A burst of status messages refreshes the jobs once.
  function scheduleJobsRefresh() {
    if (jobsTimer) return;
    jobsTimer = setTimeout(() => { jobsTimer = null; refreshJobs(); }, 200);
  }

  // ---- live and polling ------------------------------------------------------------------------------------------
  function setConnection(mode, text) {
    document.body.dataset.connection = mode;
    $('connection').textContent = text;
  }

  // Reads were refused: asking again every 2 s would only repeat the refusal. Wait for a token.
  function pauseForToken() {
    stopPolling();
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    const old = socket;
    socket = null;
    if (old) { try { old.close(); } catch { /* already closed */ } }
    setConnection('paused', 'Paused: this node needs a token to read');
    $('token-input').focus();
  }

  function startPolling() {
    if (pollTimer || readRefused) return;
    setConnection('polling', 'Polling every 2 s');
    pollTimer = setInterval(() => { refreshStatus(); refreshJobs(); }, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    // The node leaves data-live empty when it has no live stream: then the page only polls.
    const live = document.body.dataset.live || '';
    if (!live || !('WebSocket' in window)) { startPolling(); return; }
    const token = getToken();
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${live}`
      + (token ? `?access_token=${encodeURIComponent(token)}` : '');
    let ws;
    try { ws = new WebSocket(url); } catch { startPolling(); scheduleReconnect(); return; }
    socket = ws;
    // A handshake that hangs (a stalled proxy) counts as failed: close it and poll meanwhile.
    const opening = setTimeout(() => { if (socket === ws && ws.readyState === WebSocket.CONNECTING) ws.close(); }, 5000);
    ws.onopen = () => {
      clearTimeout(opening);
      if (socket !== ws) return;
      reconnectDelay = 3000;
      stopPolling();
      setConnection('live', 'Live');
      refreshJobs();
    };
    ws.onmessage = (event) => {
      if (socket !== ws) return;
      let status;
      try { status = JSON.parse(event.data); } catch { return; }
      if (status && typeof status === 'object' && Array.isArray(status.workers)) {
        renderStatus(status);
        scheduleJobsRefresh();
      }
    };
    ws.onclose = () => {
      clearTimeout(opening);
      if (socket !== ws) return;
      socket = null;
      if (readRefused) return;
      startPolling();
      refreshStatus();
      refreshJobs();
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    reconnectTimer = setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 60000);
  }

  function reconnect() {
    const old = socket;
    socket = null;
    if (old) { try { old.close(); } catch { /* already closed */ } startPolling(); }
    reconnectDelay = 3000;
    connect();
  }

  // ---- rendering -------------------------------------------------------------------------------------------------
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  const str = (value) => (typeof value === 'string' ? value : (value === null || value === undefined ? '' : String(value)));
  const num = (value) => (typeof value === 'number' && isFinite(value) ? value : null);
  const word = (value) => str(value).toLowerCase().replace(/[^a-z_]/g, '');

  function renderStatus(status) {
    $('overall-status').textContent = str(status.status) || '–';
    renderWorkers(Array.isArray(status.workers) ? status.workers : []);
    const queue = status.queue || {};
    const pending = num(queue.pending), inFlight = num(queue.in_flight), max = num(queue.max);
    $('queue-pending').textContent = pending ?? '–';
    $('queue-in-flight').textContent = inFlight ?? '–';
    $('queue-max').textContent = max ?? '–';
    const bar = $('queue-bar');
    bar.setAttribute('aria-valuemax', String(max ?? 0));
    bar.setAttribute('aria-valuenow', String(pending ?? 0));
    bar.setAttribute('aria-valuetext', max ? `${pending ?? 0} of ${max} pending` : 'unknown');
    const fill = bar.firstElementChild;
    fill.style.width = max ? `${Math.min(100, Math.round(100 * (pending ?? 0) / max))}%` : '0%';
  }

  function workerView(id) {
    let view = workerViews.get(id);
    if (view) return view;
    const item = el('li', 'worker');
    const head = el('div', 'worker-head');
    const name = el('span', 'worker-id');
    const state = el('span', 'state');
    head.append(name, state);
    const repo = el('div', 'repo');
    const bar = el('div', 'bar');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    const fill = el('span', 'fill');
    bar.append(fill);
    const message = el('p', 'message');
    item.append(head, repo, bar, message);
    view = { item, name, state, repo, bar, fill, message };
    workerViews.set(id, view);
    return view;
  }

  function renderWorkers(workers) {
    const list = $('workers');
    const seen = new Set();
    workers.forEach((worker) => {
      const id = str(worker.id);
      seen.add(id);
      const v = workerView(id);
      v.item.dataset.workerId = id;
      v.name.textContent = id;
      const state = word(worker.state) || 'unknown';
      v.state.textContent = state;
      v.state.className = `state ${state}`;
      v.repo.textContent = str(worker.repo_url);
      v.repo.hidden = !worker.repo_url;
      const progress = num(worker.progress);
      const busy = state === 'busy' && progress !== null;
      const percent = busy ? Math.max(0, Math.min(100, Math.round(progress * 100))) : 0;
      v.bar.hidden = !busy;
      v.bar.setAttribute('aria-label', `Progress of ${id}`);
      v.bar.setAttribute('aria-valuenow', String(percent));
      const message = str(worker.message) || (worker.stage ? `${str(worker.stage)}…` : (state === 'idle' ? 'Idle' : ''));
      v.bar.setAttribute('aria-valuetext', message || `${percent}%`);
      v.fill.style.width = `${percent}%`;
      v.message.textContent = message;
      list.append(v.item); // keeps the server's order
    });
    for (const [id, v] of workerViews) {
      if (!seen.has(id)) { v.item.remove(); workerViews.delete(id); }
    }
    $('workers-empty').hidden = workers.length > 0;
  }

  function renderPriorities(queued) {
    const counts = { high: 0, normal: 0, low: 0 };
    queued.forEach((job) => { const p = word(job.priority); if (p in counts) counts[p] += 1; });
    $('queue-priorities').textContent = queued.length
      ? `Queued by priority: high ${counts.high}, normal ${counts.normal}, low ${counts.low}`
      : 'Nothing waiting.';
  }

  function formatSeconds(seconds) {
    if (seconds === null) return '–';
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function duration(job) {
    const done = num(job.duration_seconds);
    if (done !== null) return formatSeconds(done);
    if (job.status === 'running' && job.started_at) {
      const started = Date.parse(job.started_at);
      if (!isNaN(started)) return formatSeconds(Math.max(0, (Date.now() - started) / 1000));
    }
    return '–';
  }

  function outcome(job) {
    switch (job.status) {
      case 'completed': {
        const parts = [];
        if (num(job.files_processed) !== null) parts.push(`${job.files_processed} files`);
        if (num(job.edges) !== null) parts.push(`${job.edges} edges`);
        if (num(job.final_loss) !== null) parts.push(`loss ${job.final_loss.toFixed(3)}`);
        return parts.join(', ') || 'completed';
      }
      case 'failed': return [str(job.reason), str(job.error)].filter(Boolean).join(': ') || 'failed';
      case 'skipped': return str(job.reason) || 'skipped';
      case 'cancelled': return str(job.reason) || 'cancelled';
      case 'running': return job.stage ? `${str(job.stage)}…` : 'running';
      case 'queued': return 'waiting';
      default: return str(job.reason);
    }
  }

  // Rows are kept per task and updated in place, so a refresh never swaps a button away under the pointer.
  const jobRows = new Map();

  function jobRow(id) {
    let view = jobRows.get(id);
    if (view) return view;
    const row = el('tr');
    row.dataset.taskId = id;
    const cells = {};
    [['repo', 'Repository', 'repo'], ['status', 'Status', ''], ['priority', 'Priority', ''],
      ['duration', 'Duration', ''], ['outcome', 'Outcome', 'outcome'], ['actions', '', 'actions']]
      .forEach(([key, label, className]) => {
        const td = el('td', className);
        if (label) td.dataset.label = label;
        row.append(td);
        cells[key] = td;
      });
    const badge = el('span', 'state');
    cells.status.append(badge);
    const button = el('button', 'cancel', 'Cancel');
    button.type = 'button';
    button.dataset.cancel = id;
    button.addEventListener('click', () => cancelJob(id, view.repo, button));
    view = { row, cells, badge, button, repo: '' };
    jobRows.set(id, view);
    return view;
  }

  function renderJobs(jobs) {
    const body = $('jobs-body');
    const seen = new Set();
    jobs.forEach((job, index) => {
      const id = str(job.task_id);
      seen.add(id);
      const v = jobRow(id);
      const status = word(job.status);
      v.repo = str(job.repo_url);
      v.row.dataset.status = status;
      v.cells.repo.textContent = v.repo;
      v.badge.textContent = status;
      v.badge.className = `state ${status}`;
      v.cells.priority.textContent = str(job.priority);
      v.cells.duration.textContent = duration(job);
      v.cells.outcome.textContent = outcome(job);
      const cancellable = status === 'queued' || status === 'running';
      v.button.setAttribute('aria-label', `Cancel the job for ${v.repo}`);
      if (cancellable && v.button.parentNode !== v.cells.actions) v.cells.actions.append(v.button);
      if (!cancellable && v.button.parentNode) v.button.remove();
      if (body.children[index] !== v.row) body.insertBefore(v.row, body.children[index] || null);
    });
    for (const [id, v] of jobRows) {
      if (!seen.has(id)) { v.row.remove(); jobRows.delete(id); }
    }
    $('jobs-empty').hidden = jobs.length > 0;
    $('jobs').hidden = jobs.length === 0;
  }

  // ---- cancelling ------------------------------------------------------------------------------------------------
  async function cancelJob(id, repo, button) {
    if (!getToken()) {
      notify('Cancelling needs a token with the ingest scope: enter it above, then press Cancel again.');
      $('token-input').focus();
      return;
    }
    button.disabled = true;
    try {
      const response = await fetch(`/jobs/${encodeURIComponent(id)}`, { method: 'DELETE', headers: authHeaders() });
      if (response.ok) {
        notify(`Cancelled the job for ${repo}.`, 'info');
      } else if (response.status === 401 || response.status === 403) {
        notify(authProblem(response.status, 'cancel jobs'));
      } else {
        const detail = await problemDetail(response);
        notify(`Could not cancel (HTTP ${response.status})${detail ? ': ' + detail : '.'}`);
      }
    } catch {
      notify('Could not cancel: the node did not answer.');
    } finally {
      button.disabled = false;
      refreshStatus();
      refreshJobs();
    }
  }

  // ---- start -----------------------------------------------------------------------------------------------------
  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = $('token-input');
      const value = input.value.trim();
      input.value = '';
      if (!value) return;
      setToken(value);
      readRefused = false;
      notify('Token set for this tab.', 'info');
      reconnect();
      refreshStatus();
      refreshJobs();
    });
    $('token-forget').addEventListener('click', () => {
      setToken('');
      readRefused = false;
      notify('Token forgotten.', 'info');
      reconnect();
      refreshStatus();
      refreshJobs();
    });
    // Durations of running jobs move even when nothing else changes.
    setInterval(() => { if (lastJobs.some((j) => j.status === 'running')) renderJobs(lastJobs); }, 1000);
    showTokenState();
    refreshStatus();
    refreshJobs();
    connect();
  });
})();
