// The Pharos dashboard. Live through GET /ws/status; polls GET /worker/status and GET /jobs every 2 s whenever the
// WebSocket is not open. A token never goes in a URL: it is sent as a header on reads only when the node's reads need
// one (data-read-token on <body>), and the WebSocket then opens with a one-time ticket from POST /ws/ticket.
// The Repositories section reads GET /repos and draws one repository's map from
// GET /repos/graph and /repos/embeddings; clicking a file lists GET /repos/similar. Everything from the server is written with textContent (repository URLs are user input).
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
  // Counts connection attempts: an attempt still waiting for its ticket gives up when a newer one (or a pause) began.
  let connecting = 0;
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
  // Open reads get no token: it would only be one more copy of it on the wire.
  const readsNeedToken = () => document.body.dataset.readToken === 'true';
  const readHeaders = () => (readsNeedToken() ? authHeaders() : {});

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
  // A read the node refuses (401, 403) pauses the page until a token is given, and answers null.
  async function getResponse(path) {
    const response = await fetch(path, { headers: readHeaders(), cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      refuseReads(response.status);
      return null;
    }
    if (response.ok && readRefused) { readRefused = false; notify(''); }
    return response;
  }

  async function getJson(path) {
    const response = await getResponse(path);
    if (!response) return null;
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
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
      if (page && Array.isArray(page.jobs)) { lastJobs = page.jobs; renderJobs(page.jobs); noticeCompletions(page.jobs); }
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

  function refuseReads(status) {
    if (readRefused) return;
    readRefused = true;
    notify(authProblem(status, 'read the status of this node'));
    pauseForToken();
  }

  // Reads were refused: asking again every 2 s would only repeat the refusal. Wait for a token.
  function pauseForToken() {
    connecting++;
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

  // The WebSocket's URL: with a one-time ticket when reads need a token (never the token itself, which proxies would
  // log with the URL); null when there is nothing to connect with (the reads' refusal is then shown).
  async function liveUrl(live) {
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${live}`;
    if (!readsNeedToken()) return url;
    if (!getToken()) return null;
    const response = await fetch('/ws/ticket', { method: 'POST', headers: authHeaders(), cache: 'no-store' });
    if (response.status === 401 || response.status === 403) { refuseReads(response.status); return null; }
    if (!response.ok) throw new Error(`/ws/ticket: HTTP ${response.status}`);
    const body = await response.json();
    if (!body || typeof body.ticket !== 'string') throw new Error('/ws/ticket: no ticket');
    return `${url}?ticket=${encodeURIComponent(body.ticket)}`;
  }

  async function connect() {
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    // The node leaves data-live empty when it has no live stream: then the page only polls.
    const live = document.body.dataset.live || '';
    if (!live || !('WebSocket' in window)) { startPolling(); return; }
    const attempt = ++connecting;
    let url;
    try { url = await liveUrl(live); } catch { url = undefined; }
    if (attempt !== connecting) return;
    if (url === null) { startPolling(); return; }
    if (url === undefined) { startPolling(); scheduleReconnect(); return; }
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
      } else if (response.status === 403) {
        // The token lacks the scope, or the job is another token's: the node's detail says which.
        const detail = await problemDetail(response);
        notify(detail ? `Could not cancel (403 Forbidden): ${detail}` : authProblem(403, 'cancel jobs'));
      } else if (response.status === 401) {
        notify(authProblem(401, 'cancel jobs'));
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

  // ---- repositories ----------------------------------------------------------------------------------------------
  // The list is read again when a job turns completed: a job completes only once the cloud has stored its result,
  // so that is when a repository appears or gets a newer commit, and the jobs list already follows the live feed.
  // A slow poll (60 s) catches the rest without a reload: results removed with DELETE /repos, or stored for a job
  // that is no longer among the 20 newest.
  const REPOS_POLL_MS = 60000;
  const SIMILAR_K = 10;
  let reposBusy = false;
  let reposAgain = false;
  let completedSeen = null; // task ids seen completed; null until the first jobs page
  const repoRows = new Map(); // one row per repository and ref (GET /repos lists each ref's newest result)
  // A row's key: its repository and its ref ('' for the default branch, which a ref cannot be).
  const rowKey = (url, ref) => `${url}\n${ref}`;
  // The query naming a ref's result: &ref=, or the default branch's with &default_branch=true.
  const refQuery = (ref) => (ref ? `&ref=${encodeURIComponent(ref)}` : '&default_branch=true');

  function noticeCompletions(jobs) {
    const done = new Set(jobs.filter((job) => job.status === 'completed').map((job) => str(job.task_id)));
    const fresh = completedSeen !== null && [...done].some((id) => !completedSeen.has(id));
    completedSeen = done;
    if (fresh) refreshRepos();
  }

  async function refreshRepos() {
    if (reposBusy) { reposAgain = true; return; }
    reposBusy = true;
    try {
      const list = await getJson('/repos');
      if (list && Array.isArray(list.repos)) {
        $('repos-problem').hidden = true;
        renderRepos(list.repos);
      }
    } catch {
      const problem = $('repos-problem');
      problem.textContent = 'The stored repositories could not be read just now; the list is read again when a job completes.';
      problem.hidden = false;
    } finally {
      reposBusy = false;
      if (reposAgain) { reposAgain = false; refreshRepos(); }
    }
  }

  const pad2 = (n) => String(n).padStart(2, '0');
  function formatTime(value) {
    const time = new Date(str(value));
    if (isNaN(time.getTime())) return str(value);
    return `${time.getFullYear()}-${pad2(time.getMonth() + 1)}-${pad2(time.getDate())} ${pad2(time.getHours())}:${pad2(time.getMinutes())}`;
  }

  function repoRow(url, ref) {
    const key = rowKey(url, ref);
    let view = repoRows.get(key);
    if (view) return view;
    const row = el('tr');
    row.dataset.repoUrl = url;
    row.dataset.ref = ref;
    const cells = {};
    [['repo', 'Repository', 'repo'], ['ref', 'Ref', 'ref'], ['commit', 'Commit', 'commit'], ['files', 'Files', ''], ['dims', 'Dims', ''],
      ['trained', 'Trained at', '']].forEach(([key, label, className]) => {
      const td = el('td', className);
      td.dataset.label = label;
      row.append(td);
      cells[key] = td;
    });
    const button = el('button', 'link', url);
    button.type = 'button';
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => openRepo(url, ref));
    cells.repo.append(button);
    // The default branch is the results of tasks that named no ref.
    if (ref) cells.ref.append(el('code', '', ref));
    else cells.ref.append(el('span', 'muted', 'default branch'));
    const commit = el('code');
    cells.commit.append(commit);
    const time = el('time');
    cells.trained.append(time);
    view = { row, cells, button, commit, time };
    repoRows.set(key, view);
    return view;
  }

  function renderRepos(list) {
    const body = $('repos-body');
    const seen = new Map();
    list.forEach((repo, index) => {
      const url = str(repo.repo_url);
      const ref = str(repo.ref);
      const commit = str(repo.commit_sha);
      const key = rowKey(url, ref);
      seen.set(key, commit);
      const v = repoRow(url, ref);
      v.row.dataset.commit = commit;
      v.button.setAttribute('aria-pressed', String(map.key === key));
      v.button.setAttribute('aria-label', `Draw the map of ${url}${ref ? ' at ' + ref : ''}`);
      v.commit.textContent = commit.slice(0, 10);
      v.commit.title = commit;
      v.cells.files.textContent = num(repo.files) ?? '–';
      v.cells.dims.textContent = num(repo.dims) ?? '–';
      v.time.textContent = formatTime(repo.trained_at);
      v.time.dateTime = str(repo.trained_at);
      if (body.children[index] !== v.row) body.insertBefore(v.row, body.children[index] || null);
    });
    for (const [key, v] of repoRows) {
      if (!seen.has(key)) { v.row.remove(); repoRows.delete(key); }
    }
    $('repos-empty').hidden = list.length > 0;
    $('repos').hidden = list.length === 0;
    // The repository on the map changed meanwhile: a newer commit is drawn again, a removed one is closed.
    if (map.url && map.commit && !seen.has(map.key)) closeMap(`${map.url}${map.ref ? ' at ' + map.ref : ''} has no stored result any more.`);
    else if (map.url && map.commit && seen.get(map.key) !== map.commit) openRepo(map.url, map.ref, 'A newer result arrived: the map shows it.');
  }

  // ---- the map ---------------------------------------------------------------------------------------------------
  // Each file is a point placed by the 2-D PCA projection of its embedding, coloured by its top-level directory;
  // imports are faint lines. The base picture (lines and points) is drawn once per size into an offscreen canvas;
  // hovering and selecting only copy it and draw the few highlights, and a grid of 16 px cells finds the point under
  // the pointer, so 10,000 files stay smooth.
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  const CELL = 16;
  const HIT_PX = 6;
  const map = {
    url: '', ref: '', key: '', commit: '', ticket: 0, similarTicket: 0,
    paths: [], index: new Map(), xs: null, ys: null, px: null, py: null, order: null,
    group: null, groups: [], edges: null, radius: 3,
    width: 0, height: 0, ratio: 1, grid: null, base: null,
    hover: -1, selected: -1, similar: [], selectedEdges: [],
  };

  // What the map drew, for tests and the curious: each file's path, its point on the canvas (CSS pixels from the
  // canvas's top-left corner) and its colour.
  window.pharosMap = Object.freeze({
    points: () => map.paths.map((path, i) => ({ path, x: map.px[i], y: map.py[i], colour: map.groups[map.group[i]].colour })),
  });

  function setMapState(state, text) {
    $('repo-view').dataset.state = state;
    $('map-status').textContent = text || '';
  }

  function closeMap(text) {
    map.ticket++;
    map.similarTicket++;
    clearDrawing();
    map.url = '';
    map.ref = '';
    map.key = '';
    map.commit = '';
    $('repo-view').hidden = true;
    for (const v of repoRows.values()) v.button.setAttribute('aria-pressed', 'false');
    const problem = $('repos-problem');
    problem.textContent = text;
    problem.hidden = !text;
  }

  function clearDrawing() {
    Object.assign(map, { paths: [], index: new Map(), xs: null, ys: null, px: null, py: null, order: null, group: null,
      groups: [], edges: null, grid: null, base: null, hover: -1, selected: -1, similar: [], selectedEdges: [] });
    const canvas = $('map');
    canvas.dataset.points = '0';
    canvas.dataset.edges = '0';
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    $('map-legend').replaceChildren();
    $('map-tip').hidden = true;
    showSimilarHint();
  }

  function showSimilarHint() {
    $('similar-heading').textContent = 'Similar files';
    $('similar-hint').textContent = `Click a file on the map to list the ${SIMILAR_K} files whose embeddings are most like its own.`;
    $('similar-hint').hidden = false;
    $('similar-list').replaceChildren();
  }

  async function problemText(response) {
    const detail = await problemDetail(response);
    return `HTTP ${response.status}${detail ? ': ' + detail : ''}`;
  }

  async function openRepo(url, ref, note) {
    const ticket = ++map.ticket;
    map.similarTicket++;
    clearDrawing();
    map.url = url;
    map.ref = ref;
    map.key = rowKey(url, ref);
    map.commit = '';
    for (const [key, v] of repoRows) v.button.setAttribute('aria-pressed', String(key === map.key));
    $('repo-view').hidden = false;
    $('map-heading').textContent = url;
    setMapState('loading', 'Loading the map…');
    const repo = encodeURIComponent(url);
    try {
      const graphResponse = await getResponse(`/repos/graph?repo_url=${repo}${refQuery(ref)}`);
      if (ticket !== map.ticket) return;
      if (!graphResponse) { setMapState('error', 'Reading this repository needs a token: enter it above.'); return; }
      if (!graphResponse.ok) { setMapState('error', `Could not read the import graph (${await problemText(graphResponse)}).`); return; }
      const commit = graphResponse.headers.get('X-Pharos-Commit') || '';
      const graph = await graphResponse.json();
      // The vectors of exactly the graph's commit, as a .npy file: a third of the JSON's size, and no float parsing.
      const vectorsResponse = await getResponse(
        `/repos/embeddings?repo_url=${repo}${refQuery(ref)}${commit ? '&commit=' + encodeURIComponent(commit) : ''}&format=npy`);
      if (ticket !== map.ticket) return;
      if (!vectorsResponse) { setMapState('error', 'Reading this repository needs a token: enter it above.'); return; }
      if (!vectorsResponse.ok) { setMapState('error', `Could not read the embeddings (${await problemText(vectorsResponse)}).`); return; }
      const matrix = readNpy(await vectorsResponse.arrayBuffer());
      if (ticket !== map.ticket) return;
      const nodes = Array.isArray(graph.nodes) ? graph.nodes.map(str) : [];
      if (matrix.rows !== nodes.length) throw new Error(`${matrix.rows} vectors for ${nodes.length} files`);
      map.commit = commit || (repoRows.get(map.key)?.row.dataset.commit ?? '');
      drawRepository(url, nodes, Array.isArray(graph.edges) ? graph.edges : [], matrix);
      setMapState('ready', note || '');
    } catch (error) {
      if (ticket === map.ticket) setMapState('error', `Could not draw the map: ${error && error.message ? error.message : 'the node did not answer'}.`);
    }
  }

  /** A NumPy .npy file of float32 little-endian rows (what GET /repos/embeddings?format=npy sends). */
  function readNpy(buffer) {
    const bytes = new Uint8Array(buffer);
    const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
    if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new Error('the embeddings are not a .npy file');
    const data = new DataView(buffer);
    const major = bytes[6];
    const start = major === 1 ? 10 : 12;
    const headerLength = major === 1 ? data.getUint16(8, true) : data.getUint32(8, true);
    const header = new TextDecoder('ascii').decode(bytes.subarray(start, start + headerLength));
    const shape = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(header);
    if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header) || !shape) {
      throw new Error('the embeddings are not a float32 matrix');
    }
    const rows = Number(shape[1]);
    const dims = Number(shape[2]);
    const offset = start + headerLength;
    if (buffer.byteLength < offset + rows * dims * 4) throw new Error('the embeddings file is cut short');
    const values = new Float32Array(rows * dims);
    for (let i = 0; i < values.length; i++) values[i] = data.getFloat32(offset + 4 * i, true);
    return { rows, dims, values };
  }

  /**
   * The 2-D PCA projection of n rows of d values: centred, then projected on the covariance's two leading
   * eigenvectors, found by power iteration (the second kept orthogonal to the first). Deterministic: a fixed start
   * vector, and each axis's sign chosen so that its largest component is positive.
   */
  function projectPca(values, n, d) {
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += values[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
    const cov = new Float64Array(d * d);
    const row = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) row[j] = values[i * d + j] - mean[j];
      for (let a = 0; a < d; a++) {
        const ra = row[a];
        if (ra === 0) continue;
        const base = a * d;
        for (let b = a; b < d; b++) cov[base + b] += ra * row[b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) cov[b * d + a] = cov[a * d + b];
    const first = leadingEigenvector(cov, d, null);
    const second = leadingEigenvector(cov, d, first);
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let x = 0, y = 0;
      for (let j = 0; j < d; j++) {
        const v = values[i * d + j] - mean[j];
        x += v * first[j];
        y += v * second[j];
      }
      xs[i] = x;
      ys[i] = y;
    }
    return { xs, ys };
  }

  function leadingEigenvector(matrix, d, orthogonalTo) {
    const unit = (v) => {
      if (orthogonalTo) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += v[j] * orthogonalTo[j];
        for (let j = 0; j < d; j++) v[j] -= dot * orthogonalTo[j];
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += v[j] * v[j];
      norm = Math.sqrt(norm);
      if (!(norm > 1e-12)) return false;
      for (let j = 0; j < d; j++) v[j] /= norm;
      return true;
    };
    let v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = 1 + 0.5 * Math.sin(1.7 * j + 0.3); // fixed, and not orthogonal to much
    if (!unit(v)) return new Float64Array(d);
    const next = new Float64Array(d);
    for (let iteration = 0; iteration < 500; iteration++) {
      for (let a = 0; a < d; a++) {
        let sum = 0;
        const base = a * d;
        for (let b = 0; b < d; b++) sum += matrix[base + b] * v[b];
        next[a] = sum;
      }
      if (!unit(next)) return new Float64Array(d); // no variance left in this direction: every point at 0
      let change = 0;
      for (let j = 0; j < d; j++) change += (next[j] - v[j]) * (next[j] - v[j]);
      v.set(next);
      if (change < 1e-18) break;
    }
    let largest = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[largest])) largest = j;
    if (v[largest] < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
    return v;
  }

  /**
   * Colours by top-level directory. When every file sits under one directory (a Python package's own folder), that
   * directory tells nothing apart: the level below it is used, so a package's subpackages get colours of their own.
   * The largest directories get the palette's colours; past ten, the smallest share grey as "other directories".
   */
  function directoryGroups(paths) {
    const dirs = paths.map((path) => path.split('/').slice(0, -1));
    let common = 0;
    if (dirs.length > 0) {
      for (;;) {
        const segment = dirs[0][common];
        if (segment === undefined || dirs.some((d) => d[common] !== segment)) break;
        common++;
      }
    }
    const prefix = dirs.length > 0 && common > 0 ? dirs[0].slice(0, common).join('/') + '/' : '';
    const keys = dirs.map((d) => (d.length > common ? `${prefix}${d[common]}/` : (prefix || '(top level)')));
    const counts = new Map();
    keys.forEach((key) => counts.set(key, (counts.get(key) || 0) + 1));
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const coloured = ranked.length <= PALETTE.length ? ranked.length : PALETTE.length - 1;
    const groups = ranked.slice(0, coloured).map(([label, count], i) => ({ label, count, colour: PALETTE[i] }));
    const slot = new Map(groups.map((g, i) => [g.label, i]));
    if (ranked.length > coloured) {
      const rest = ranked.slice(coloured);
      groups.push({ label: `other directories (${rest.length})`, count: rest.reduce((sum, [, c]) => sum + c, 0), colour: PALETTE[PALETTE.length - 1] });
    }
    const group = new Int32Array(paths.length);
    keys.forEach((key, i) => { group[i] = slot.has(key) ? slot.get(key) : groups.length - 1; });
    return { group, groups };
  }

  function drawRepository(url, nodes, edges, matrix) {
    const n = nodes.length;
    map.paths = nodes;
    map.index = new Map(nodes.map((path, i) => [path, i]));
    const { xs, ys } = projectPca(matrix.values, n, matrix.dims);
    map.xs = xs;
    map.ys = ys;
    const { group, groups } = directoryGroups(nodes);
    map.group = group;
    map.groups = groups;
    // Drawn a colour at a time, the larger directories first.
    map.order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => group[a] - group[b] || a - b);
    const pairs = [];
    for (const edge of edges) {
      if (!Array.isArray(edge) || edge.length < 2) continue;
      const from = map.index.get(str(edge[0]));
      const to = map.index.get(str(edge[1]));
      if (from !== undefined && to !== undefined && from !== to) pairs.push(from, to);
    }
    map.edges = Int32Array.from(pairs);
    map.radius = n <= 500 ? 4 : n <= 3000 ? 3 : 2;
    map.px = new Float32Array(n);
    map.py = new Float32Array(n);

    const canvas = $('map');
    canvas.dataset.edges = String(map.edges.length / 2);
    canvas.setAttribute('aria-label',
      `Map of the ${n} files of ${url}: each point is a file, placed by a 2-D PCA projection of its embedding and ` +
      `coloured by its top-level directory; faint lines are imports. Click a point to list the files most similar to it.`);
    const commit = (map.ref ? `${map.ref} · ` : '') + (map.commit ? `commit ${map.commit.slice(0, 10)} · ` : '');
    $('map-heading').textContent = `${url} — ${commit}${n} files, ${map.edges.length / 2} imports`;
    renderLegend();
    layout();
  }

  function renderLegend() {
    const legend = $('map-legend');
    legend.replaceChildren(...map.groups.map((g) => {
      const item = el('li');
      const swatch = el('span', 'swatch');
      swatch.style.background = g.colour;
      swatch.setAttribute('aria-hidden', 'true');
      item.dataset.colour = g.colour;
      item.append(swatch, el('span', 'label', g.label), el('span', 'count', `(${g.count})`));
      return item;
    }));
  }

  /** Places the points in the canvas's current size, rebuilds the hit grid and draws. */
  function layout() {
    if (!map.xs) return;
    const frame = $('map-frame');
    const width = Math.max(1, frame.clientWidth);
    const height = Math.max(1, frame.clientHeight);
    const n = map.paths.length;
    const margin = map.radius + 8;
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, map.xs[i]); maxX = Math.max(maxX, map.xs[i]);
      minY = Math.min(minY, map.ys[i]); maxY = Math.max(maxY, map.ys[i]);
    }
    const spanX = maxX - minX, spanY = maxY - minY;
    const innerW = Math.max(1, width - 2 * margin), innerH = Math.max(1, height - 2 * margin);
    for (let i = 0; i < n; i++) {
      map.px[i] = margin + (spanX > 0 ? (map.xs[i] - minX) / spanX * innerW : innerW / 2);
      map.py[i] = margin + (spanY > 0 ? (maxY - map.ys[i]) / spanY * innerH : innerH / 2); // up is positive
    }
    map.width = width;
    map.height = height;
    map.ratio = window.devicePixelRatio || 1;
    buildGrid();
    drawBase();
    drawMap();
    $('map').dataset.points = String(n);
  }

  /** Point indices bucketed by 16 px cell (counting sort): a lookup reads the few cells around the pointer. */
  function buildGrid() {
    const n = map.paths.length;
    const cols = Math.max(1, Math.ceil(map.width / CELL));
    const rows = Math.max(1, Math.ceil(map.height / CELL));
    const cellOf = new Int32Array(n);
    const start = new Int32Array(cols * rows + 1);
    for (let i = 0; i < n; i++) {
      const c = Math.min(cols - 1, Math.max(0, Math.floor(map.px[i] / CELL)));
      const r = Math.min(rows - 1, Math.max(0, Math.floor(map.py[i] / CELL)));
      cellOf[i] = r * cols + c;
      start[cellOf[i] + 1]++;
    }
    for (let k = 0; k < cols * rows; k++) start[k + 1] += start[k];
    const fill = start.slice(0, cols * rows);
    const items = new Int32Array(n);
    for (let i = 0; i < n; i++) items[fill[cellOf[i]]++] = i;
    map.grid = { cols, rows, start, items };
  }

  /** The point nearest to (x, y) within reach, or -1; of equal ones the one drawn last (on top). */
  function pointAt(x, y) {
    const grid = map.grid;
    if (!grid) return -1;
    const reach = Math.max(HIT_PX, map.radius + 2);
    const c0 = Math.max(0, Math.floor((x - reach) / CELL)), c1 = Math.min(grid.cols - 1, Math.floor((x + reach) / CELL));
    const r0 = Math.max(0, Math.floor((y - reach) / CELL)), r1 = Math.min(grid.rows - 1, Math.floor((y + reach) / CELL));
    let best = -1;
    let bestDistance = reach * reach;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * grid.cols + c;
        for (let k = grid.start[cell]; k < grid.start[cell + 1]; k++) {
          const i = grid.items[k];
          const dx = map.px[i] - x, dy = map.py[i] - y;
          const distance = dx * dx + dy * dy;
          if (distance < bestDistance || (distance === bestDistance && best >= 0 && drawnAfter(i, best))) {
            best = i;
            bestDistance = distance;
          }
        }
      }
    }
    return best;
  }

  const drawnAfter = (a, b) => map.group[a] > map.group[b] || (map.group[a] === map.group[b] && a > b);

  function drawBase() {
    const canvas = $('map');
    const w = Math.round(map.width * map.ratio), h = Math.round(map.height * map.ratio);
    canvas.width = w;
    canvas.height = h;
    const base = map.base && map.base.width === w && map.base.height === h ? map.base : document.createElement('canvas');
    base.width = w;
    base.height = h;
    map.base = base;
    const g = base.getContext('2d');
    g.setTransform(map.ratio, 0, 0, map.ratio, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, map.width, map.height);
    g.strokeStyle = 'rgba(60, 70, 90, 0.13)';
    g.lineWidth = 1;
    g.beginPath();
    for (let k = 0; k < map.edges.length; k += 2) {
      const a = map.edges[k], b = map.edges[k + 1];
      g.moveTo(map.px[a], map.py[a]);
      g.lineTo(map.px[b], map.py[b]);
    }
    g.stroke();
    const r = map.radius;
    let current = -1;
    for (const i of map.order) {
      if (map.group[i] !== current) {
        if (current >= 0) g.fill();
        current = map.group[i];
        g.fillStyle = map.groups[current].colour;
        g.beginPath();
      }
      g.moveTo(map.px[i] + r, map.py[i]);
      g.arc(map.px[i], map.py[i], r, 0, 2 * Math.PI);
    }
    if (current >= 0) g.fill();
  }

  /** The base picture, then the selection (its imports, its similar files) and the hovered point. */
  function drawMap() {
    if (!map.base) return;
    const g = $('map').getContext('2d');
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.drawImage(map.base, 0, 0);
    g.setTransform(map.ratio, 0, 0, map.ratio, 0, 0);
    const r = map.radius;
    const ring = (i, extra, colour, width) => {
      g.beginPath();
      g.arc(map.px[i], map.py[i], r + extra, 0, 2 * Math.PI);
      g.strokeStyle = colour;
      g.lineWidth = width;
      g.stroke();
    };
    if (map.selected >= 0) {
      const s = map.selected;
      g.strokeStyle = 'rgba(29, 35, 48, 0.6)';
      g.lineWidth = 1.2;
      g.beginPath();
      for (const other of map.selectedEdges) {
        g.moveTo(map.px[s], map.py[s]);
        g.lineTo(map.px[other], map.py[other]);
      }
      g.stroke();
      for (const i of map.similar) ring(i, 3, '#2358c7', 2);
      g.beginPath();
      g.arc(map.px[s], map.py[s], r + 2, 0, 2 * Math.PI);
      g.fillStyle = map.groups[map.group[s]].colour;
      g.fill();
      g.strokeStyle = '#1d2330';
      g.lineWidth = 2.5;
      g.stroke();
    }
    if (map.hover >= 0) ring(map.hover, 5, '#1d2330', 1.5);
  }

  function showTip(i) {
    const tip = $('map-tip');
    if (i < 0) { tip.hidden = true; return; }
    tip.textContent = map.paths[i];
    tip.hidden = false;
    // Beside the point, kept inside the map so it never widens the page.
    const gap = map.radius + 8;
    const left = Math.max(0, Math.min(map.px[i] + gap, map.width - tip.offsetWidth - 2));
    const below = map.py[i] + gap;
    const top = below + tip.offsetHeight <= map.height ? below : Math.max(0, map.py[i] - gap - tip.offsetHeight);
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  function hover(i) {
    if (i === map.hover) return;
    map.hover = i;
    $('map').classList.toggle('over-point', i >= 0);
    showTip(i);
    drawMap();
  }

  // A path as text nodes with a line-break opportunity after each '/', so a narrow column wraps it between names.
  const breakable = (path) => path.split('/').flatMap((part, i, parts) =>
    (i < parts.length - 1 ? [document.createTextNode(part + '/'), document.createElement('wbr')] : [document.createTextNode(part)]));

  async function selectFile(i) {
    const ticket = ++map.similarTicket;
    const path = map.paths[i];
    map.selected = i;
    map.similar = [];
    map.selectedEdges = [];
    for (let k = 0; k < map.edges.length; k += 2) {
      if (map.edges[k] === i) map.selectedEdges.push(map.edges[k + 1]);
      else if (map.edges[k + 1] === i) map.selectedEdges.push(map.edges[k]);
    }
    drawMap();
    const code = el('code');
    code.append(...breakable(path));
    $('similar-heading').replaceChildren(document.createTextNode('Most similar to '), code);
    const hint = $('similar-hint');
    const list = $('similar-list');
    list.replaceChildren();
    list.dataset.path = path;
    list.dataset.state = 'loading';
    hint.textContent = 'Loading…';
    hint.hidden = false;
    try {
      const response = await getResponse(
        `/repos/similar?repo_url=${encodeURIComponent(map.url)}${refQuery(map.ref)}&path=${encodeURIComponent(path)}&k=${SIMILAR_K}`);
      if (ticket !== map.similarTicket) return;
      if (!response) { hint.textContent = 'Reading this repository needs a token: enter it above.'; list.dataset.state = 'error'; return; }
      if (!response.ok) { hint.textContent = `Could not list similar files (${await problemText(response)}).`; list.dataset.state = 'error'; return; }
      const answer = await response.json();
      if (ticket !== map.similarTicket) return;
      const results = Array.isArray(answer.results) ? answer.results : [];
      list.replaceChildren(...results.map((result) => {
        const other = str(result.path);
        const score = num(result.score);
        const item = el('li');
        item.dataset.path = other;
        item.dataset.score = score === null ? '' : String(score);
        const link = el('button', 'link');
        link.append(...breakable(other));
        link.type = 'button';
        link.setAttribute('aria-label', `${other}: show its similar files`);
        link.addEventListener('click', () => { const j = map.index.get(other); if (j !== undefined) selectFile(j); });
        const entry = el('span', 'entry');
        const shown = el('span', 'score', score === null ? '–' : score.toFixed(3));
        // link: the skip-gram's estimate that the two are linked (higher is likelier); cosine for older results.
        shown.title = `${str(answer.measure) || 'link'} score`;
        entry.append(shown, link);
        item.append(entry);
        return item;
      }));
      hint.hidden = results.length > 0;
      hint.textContent = results.length > 0 ? '' : 'No other file to compare with.';
      list.dataset.state = 'ready';
      map.similar = results.map((result) => map.index.get(str(result.path))).filter((j) => j !== undefined);
      drawMap();
      // The node answered for a newer commit than the one drawn: read the list, which draws the newer one.
      if (str(answer.commit_sha) && map.commit && str(answer.commit_sha) !== map.commit) refreshRepos();
    } catch {
      if (ticket === map.similarTicket) { hint.textContent = 'Could not list similar files: the node did not answer.'; list.dataset.state = 'error'; }
    }
  }

  function wireMap() {
    const canvas = $('map');
    canvas.addEventListener('pointermove', (event) => hover(pointAt(event.offsetX, event.offsetY)));
    canvas.addEventListener('pointerleave', () => hover(-1));
    canvas.addEventListener('click', (event) => {
      const i = pointAt(event.offsetX, event.offsetY);
      if (i >= 0) selectFile(i);
    });
    // A new width (a rotated phone, a resized window) places the points again; at most once a frame.
    let pending = false;
    new ResizeObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        const frame = $('map-frame');
        if (map.xs && (frame.clientWidth !== map.width || frame.clientHeight !== map.height)) layout();
      });
    }).observe($('map-frame'));
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
      refreshRepos();
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
    setInterval(() => { if (!document.hidden && !readRefused) refreshRepos(); }, REPOS_POLL_MS);
    wireMap();
    showTokenState();
    refreshStatus();
    refreshJobs();
    refreshRepos();
    connect();
  });
})();
