// The Double-DIP web page: plain JavaScript, no build step.
const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
};

const state = {
  tasks: [],
  limits: null,
  files: [], // {name, file, dataUrl, img}
  video: null, // {name, file, url}: the video task's clip
  hint: null, // the hint mask's File
  box: null, // {x, y, width, height} in image pixels
  jobId: null,
  job: null, // the open job's last known info
  events: null,
  history: [], // [iteration, loss, psnr]
};

const FINAL = new Set(['done', 'stopped', 'failed', 'cancelled']);
const fmtTime = (s) => {
  if (!Number.isFinite(s)) return '–';
  s = Math.max(0, Math.round(s));
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
};

async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

// ---- task choice ------------------------------------------------------------------------------

function currentTask() {
  return state.tasks.find((t) => t.name === $('#task').value);
}

const isVideo = (t) => t.inputs.kind === 'video';
const maxImages = (t) => (isVideo(t) ? 1 : t.inputs.max);
const takes = (t, name) => t.options.some((f) => f.name === name);

// The settings shown at once; every other option of the task is under "More options".
const SIMPLE = ['size', 'iterations', 'maxSeconds', 'seed'];
// Options the page fills itself: the box drawn on the image, the hint mask uploaded.
const DRAWN = new Set(['box']);

const words = (name) => name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`).replace(/^\w/, (c) => c.toUpperCase());
const shown = (v) => (v === true ? 'yes' : v === false ? 'no' : String(v));

/** A form field for one option of /api/tasks: a select for a short list of values, a text input otherwise. */
function optionField(f, value, withDoc) {
  const id = `opt-${f.name}`;
  const title = `${f.doc}${f.unit ? ` (${f.unit})` : ''}. Expects ${f.expects}.`;
  let input;
  if (f.choices) {
    input = el('select', { id, name: f.name });
    input.append(el('option', { value: '', textContent: f.default === undefined ? 'default' : `default (${shown(f.default)})` }));
    for (const c of f.choices) input.append(el('option', { value: c, textContent: c }));
  } else {
    input = el('input', { id, name: f.name, type: 'text', placeholder: f.default === undefined ? f.value : shown(f.default), autocomplete: 'off' });
    if (f.value === 'N' || f.value === 'S' || f.value === 'W') input.inputMode = 'decimal';
  }
  input.dataset.option = f.name;
  if (value !== undefined) input.value = value;
  const label = el('label', { title }, `${words(f.name)}${f.unit && f.name !== 'box' ? ` (${f.unit})` : ''}`, input);
  if (withDoc) label.append(el('small', { className: 'muted', textContent: f.doc }));
  return label;
}

function onTaskChange() {
  const t = currentTask();
  if (!t) return;
  const video = isVideo(t);
  const summary = t.summary.replace(/^\w/, (c) => c.toUpperCase());
  $('#task-desc').textContent = video ? `${summary} (one video, at most ${state.limits?.maxFrames ?? 300} frames)`
    : `${summary} (${t.inputs.min === t.inputs.max ? t.inputs.min : `${t.inputs.min}–${t.inputs.max}`} image${t.inputs.max > 1 ? 's' : ''})`;
  $('#task-about').textContent = t.about;
  $('#files').multiple = maxImages(t) > 1;
  $('#files').accept = video ? 'video/*,.mp4,.webm,.mov,.mkv,.avi' : 'image/*';
  const hint = t.options.find((f) => f.image);
  $('#hint-area').hidden = !hint;
  if (hint) $('#hint-doc').textContent = hint.doc.replace(/^\w/, (c) => c.toUpperCase());
  $('#video-area').hidden = !video;
  // The form, from the task's options; values typed for options the new task shares are kept.
  const typed = {};
  for (const i of document.querySelectorAll('[data-option]')) if (i.value !== '') typed[i.dataset.option] = i.value;
  const simple = $('#simple-fields'), more = $('#more-fields');
  simple.replaceChildren();
  more.replaceChildren();
  for (const f of t.options) {
    if (f.image || DRAWN.has(f.name)) continue;
    if (SIMPLE.includes(f.name)) simple.append(optionField(f, typed[f.name], false));
    else more.append(optionField(f, typed[f.name], true));
  }
  if (video && state.files.length) state.files = [];
  if (!video && state.video) { URL.revokeObjectURL(state.video.url); state.video = null; }
  if (state.files.length > maxImages(t)) state.files = state.files.slice(0, maxImages(t));
  renderImages();
}

// ---- images and the box ---------------------------------------------------------------------

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(new Error(`Cannot read ${file.name}`));
    r.readAsDataURL(file);
  });
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('The browser cannot show this file as an image'));
    img.src = url;
  });
}

async function addFiles(list) {
  showFormError('');
  const t = currentTask();
  const files = [...list];
  if (files.length === 0) return;
  if (t && isVideo(t)) return addVideo(files[0]);
  try {
    const loaded = [];
    for (const f of files) {
      const dataUrl = await readFile(f);
      loaded.push({ name: f.name, file: f, dataUrl, img: await loadImage(dataUrl).catch(() => null) });
    }
    // Picking a new set replaces the old one; for multi-image tasks extra drops are appended.
    state.files = (t && maxImages(t) > 1 ? state.files.concat(loaded) : loaded).slice(-(t ? maxImages(t) : 1));
    state.box = null;
    renderImages();
    showBoxFields();
  } catch (e) {
    showFormError(e.message);
  }
}

// The server checks the clip by its content; the page only shows it (when the browser can play it).
async function addVideo(file) {
  try {
    if (state.video) URL.revokeObjectURL(state.video.url);
    state.video = { name: file.name, file, url: URL.createObjectURL(file) };
    renderImages();
  } catch (e) {
    showFormError(e.message);
  }
}

function renderImages() {
  const thumbs = $('#thumbs');
  thumbs.replaceChildren();
  const t = currentTask();
  if (t && isVideo(t)) {
    const v = state.video;
    if (v) thumbs.append(el('figure', {}, el('video', { src: v.url, muted: true, controls: true, preload: 'metadata' }), el('figcaption', { textContent: v.name })));
    $('#drop-words').textContent = v ? 'Drop to replace, or' : 'Drop a video here or';
    $('#choose').textContent = 'Choose a video…';
    $('#box-area').hidden = true;
    return;
  }
  for (const f of state.files) {
    const size = f.img ? `${f.img.naturalWidth}×${f.img.naturalHeight}` : 'not shown';
    thumbs.append(el('figure', {}, f.img ? el('img', { src: f.dataUrl, alt: f.name }) : '', el('figcaption', { textContent: `${f.name} (${size})` })));
  }
  $('#drop-words').textContent = state.files.length ? 'Drop to replace, or' : 'Drop image(s) here or';
  $('#choose').textContent = t && maxImages(t) > 1 ? 'Choose files…' : 'Choose a file…';
  const first = state.files[0];
  $('#box-area').hidden = !(t && takes(t, 'box') && state.files.length === 1 && first.img);
  drawCanvas();
}

function drawCanvas() {
  const first = state.files[0];
  const canvas = $('#canvas');
  if (!first || !first.img || $('#box-area').hidden) return;
  const img = first.img;
  // Room for the box's four fields beside the drawing.
  const maxW = Math.min(380, (canvas.parentElement.clientWidth || 480) - 120);
  const scale = Math.min(maxW / img.naturalWidth, 360 / img.naturalHeight, 4);
  canvas.width = Math.round(img.naturalWidth * scale);
  canvas.height = Math.round(img.naturalHeight * scale);
  canvas.dataset.scale = String(scale);
  const g = canvas.getContext('2d');
  g.imageSmoothingEnabled = scale < 1;
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
  const b = state.box;
  for (const [k, max] of [['x', img.naturalWidth - 1], ['y', img.naturalHeight - 1], ['width', img.naturalWidth], ['height', img.naturalHeight]])
    $(`#box-${k}`).max = String(max);
  if (b) {
    g.fillStyle = 'rgba(0,0,0,0.35)';
    g.beginPath();
    g.rect(0, 0, canvas.width, canvas.height);
    g.rect(b.x * scale, b.y * scale, b.width * scale, b.height * scale);
    g.fill('evenodd');
    g.strokeStyle = '#ffd400';
    g.lineWidth = 2;
    g.strokeRect(b.x * scale, b.y * scale, b.width * scale, b.height * scale);
  }
  $('#box-text').textContent = b ? `Box x ${b.x}, y ${b.y}, ${b.width}×${b.height} px` : 'No box (automatic hints)';
}

function setupBoxDrawing() {
  const canvas = $('#canvas');
  let start = null;
  const toImage = (ev) => {
    const r = canvas.getBoundingClientRect();
    const img = state.files[0].img;
    const x = ((ev.clientX - r.left) / r.width) * img.naturalWidth;
    const y = ((ev.clientY - r.top) / r.height) * img.naturalHeight;
    return { x: Math.min(Math.max(x, 0), img.naturalWidth), y: Math.min(Math.max(y, 0), img.naturalHeight) };
  };
  const update = (ev) => {
    const p = toImage(ev);
    const x0 = Math.floor(Math.min(start.x, p.x)), y0 = Math.floor(Math.min(start.y, p.y));
    const x1 = Math.ceil(Math.max(start.x, p.x)), y1 = Math.ceil(Math.max(start.y, p.y));
    state.box = x1 - x0 >= 2 && y1 - y0 >= 2 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
    drawCanvas();
    showBoxFields();
  };
  canvas.addEventListener('pointerdown', (ev) => {
    if (!state.files[0]?.img) return;
    canvas.setPointerCapture(ev.pointerId);
    start = toImage(ev);
    state.box = null;
  });
  canvas.addEventListener('pointermove', (ev) => { if (start) update(ev); });
  canvas.addEventListener('pointerup', (ev) => { if (start) { update(ev); start = null; } });
  $('#clear-box').addEventListener('click', () => { state.box = null; drawCanvas(); showBoxFields(); });
  // The four fields are the box too, for the keyboard: a box once all four hold whole numbers.
  for (const k of BOX_KEYS) {
    $(`#box-${k}`).addEventListener('input', () => {
      const v = BOX_KEYS.map((n) => $(`#box-${n}`).value.trim());
      const n = v.map(Number);
      const whole = v.every((t) => t !== '' && Number.isInteger(Number(t)));
      state.box = whole && n[2] > 0 && n[3] > 0 ? { x: n[0], y: n[1], width: n[2], height: n[3] } : null;
      drawCanvas();
    });
  }
}

const BOX_KEYS = ['x', 'y', 'width', 'height'];

/** The box's four fields, from the box drawn (or empty). */
function showBoxFields() {
  for (const k of BOX_KEYS) $(`#box-${k}`).value = state.box ? String(state.box[k]) : '';
}

function setupDrop() {
  const drop = $('#drop');
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    void addFiles(ev.dataTransfer.files);
  });
  $('#choose').addEventListener('click', () => $('#files').click());
  $('#files').addEventListener('change', (ev) => { void addFiles(ev.target.files); ev.target.value = ''; });
  $('#hint-file').addEventListener('change', (ev) => { state.hint = ev.target.files[0] ?? null; });
}

// ---- starting a job -----------------------------------------------------------------------------

function showFormError(msg) {
  $('#form-error').textContent = msg;
  $('#form-error').hidden = !msg;
}

async function start(ev) {
  ev.preventDefault();
  showFormError('');
  const t = currentTask();
  if (!t) return showFormError('No task available');
  const video = isVideo(t);
  if (video && !state.video) return showFormError('Choose a video first');
  if (!video && state.files.length < t.inputs.min) return showFormError(`Choose ${t.inputs.min === 1 ? 'an image' : `${t.inputs.min} images`} first`);
  // Each option as its field's text; empty fields are not sent (the task's default applies).
  const options = {};
  for (const i of document.querySelectorAll('[data-option]')) {
    const v = i.value.trim();
    if (v !== '') options[i.dataset.option] = v;
  }
  const every = $('#preview-every').value.trim();
  if (every !== '') options.previewEvery = every;
  if (takes(t, 'box') && state.box && state.files.length === 1) options.box = state.box;
  // Sent as multipart/form-data: the files as they are (the server streams them to disk), the options as JSON.
  const body = new FormData();
  body.append('task', t.name);
  const files = video ? [['video', state.video.file]] : state.files.map((f) => ['images', f.file]);
  if (takes(t, 'hint') && state.hint && !options.box) files.push(['hint', state.hint]);
  if (video) {
    const frames = $('#frames').value.trim(), fps = $('#fps').value.trim();
    if (frames !== '') options.frames = frames;
    if (fps !== '') options.fps = fps;
  }
  body.append('options', JSON.stringify(options));
  for (const [field, file] of files) body.append(field, file, file.name);
  const bytes = files.reduce((n, [, f]) => n + f.size, 0);
  if (state.limits && bytes > state.limits.maxBodyBytes)
    return showFormError(`The ${video ? 'video is' : 'images are'} too large to send (${(bytes / 1048576).toFixed(1)} MB, at most ${(state.limits.maxBodyBytes / 1048576).toFixed(0)} MB)`);
  $('#start').disabled = true;
  try {
    const job = await api('/api/jobs', { method: 'POST', body });
    openJob(job.id);
    void refreshQueue();
  } catch (e) {
    showFormError(e.message);
  } finally {
    $('#start').disabled = false;
  }
}

// ---- the job view ---------------------------------------------------------------------------------

function openJob(id) {
  if (state.events) state.events.close();
  state.jobId = id;
  state.job = null;
  state.history = [];
  $('#preview-caption').hidden = true;
  $('#job-empty').hidden = true;
  $('#job-body').hidden = false;
  $('#previews').replaceChildren();
  $('#results').hidden = true;
  $('#download-list').replaceChildren();
  $('#downloads').hidden = true;
  $('#job-error').hidden = true;
  $('#concerns').hidden = true;
  $('#stats').textContent = '';
  $('#progress-bar').style.width = '0';
  drawPlot();
  const es = new EventSource(`/api/jobs/${id}/events`);
  state.events = es;
  es.addEventListener('state', (e) => renderJob(JSON.parse(e.data)));
  es.addEventListener('progress', (e) => {
    const p = JSON.parse(e.data);
    const last = state.history[state.history.length - 1];
    if (!last || p.iteration > last[0]) state.history.push([p.iteration, p.loss, p.psnr]);
    renderProgress(p);
    drawPlot();
  });
  es.addEventListener('history', (e) => { state.history = JSON.parse(e.data); drawPlot(); });
  es.addEventListener('preview', (e) => renderPreview(JSON.parse(e.data)));
  for (const row of document.querySelectorAll('#queue tbody tr')) row.classList.toggle('current', row.dataset.id === id);
}

function renderProgress(p) {
  $('#progress-bar').style.width = `${Math.min(100, (100 * p.iteration) / p.total).toFixed(1)}%`;
  $('#stats').textContent = `Iteration ${p.iteration} / ${p.total} · loss ${p.loss.toPrecision(4)} · PSNR ${p.psnr.toFixed(2)} dB` +
    ` · elapsed ${fmtTime(p.elapsed)} · ETA ${fmtTime(p.eta)}`;
}

function renderPreview(p) {
  // Which frame (video) or image (several inputs) the layers are of: training visits them in turn.
  const job = state.job;
  const video = job && job.video;
  const caption = $('#preview-caption');
  caption.textContent = `Live preview, iteration ${p.iteration}` +
    (video ? `: frame ${p.input + 1} (as numbered in the outputs)` : job && job.inputs.length > 1 ? `: image ${p.input + 1}` : '');
  caption.hidden = false;
  const box = $('#previews');
  for (const [name, url] of Object.entries(p.images)) {
    let img = box.querySelector(`img[data-layer="${CSS.escape(name)}"]`);
    if (!img) {
      img = el('img', { alt: name });
      img.dataset.layer = name;
      box.append(el('figure', {}, img, el('figcaption', { textContent: name })));
    }
    img.src = url;
    img.dataset.iteration = String(p.iteration);
  }
  box.dataset.iteration = String(p.iteration);
}

function renderJob(job) {
  if (job.id !== state.jobId) return;
  state.job = job;
  $('#job-title').textContent = `${job.task} · ${job.id}`;
  const badge = $('#job-state');
  badge.textContent = job.state;
  badge.className = `badge ${job.state}`;
  $('#queue-pos').hidden = job.state !== 'queued';
  $('#queue-pos').textContent = job.queuePosition ? `Waiting in the queue: position ${job.queuePosition}` : 'Waiting in the queue';
  const stop = $('#stop');
  stop.hidden = FINAL.has(job.state);
  stop.textContent = job.state === 'queued' ? 'Cancel' : 'Stop (keep best so far)';
  stop.disabled = false;
  if (job.progress) renderProgress(job.progress);
  if (job.error) {
    $('#job-error').textContent = `Failed: ${job.error}`;
    $('#job-error').hidden = false;
  }
  if (FINAL.has(job.state)) {
    if (state.events) { state.events.close(); state.events = null; }
    if (job.result) {
      // No iterations: a method that does not train (the dark channel prior, two mixtures solved from the inputs).
      $('#stats').textContent = job.result.iterations === 0 && job.state === 'done' ? `Finished in ${fmtTime(job.result.seconds)}, no training needed`
        : `${job.state === 'stopped' ? 'Stopped' : 'Finished'} after ${job.result.iterations} iterations in ${fmtTime(job.result.seconds)}` +
        ` · reconstruction PSNR ${job.result.psnr.toFixed(2)} dB (${job.result.stopReason})`;
      if (job.state === 'done') $('#progress-bar').style.width = '100%';
      renderConcerns(job.result.concerns ?? []);
    }
    renderDownloads(job);
    drawPlot();
  }
  void refreshQueue();
}

/** The task's own doubts about its result (report.concerns), as plain text, one item each. */
function renderConcerns(concerns) {
  $('#concern-list').replaceChildren(...concerns.map((c) => {
    const li = document.createElement('li');
    li.textContent = c;
    return li;
  }));
  $('#concerns').hidden = concerns.length === 0;
}

function renderDownloads(job) {
  const list = $('#download-list');
  list.replaceChildren();
  if (!job.files.length) { $('#downloads').hidden = true; return; }
  const base = `/api/jobs/${job.id}`;
  // Video frames ("mask/00001.png") are many: they come in the ZIP, the page links the rest.
  const top = job.files.filter((f) => !f.includes('/'));
  const folders = [...new Set(job.files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]))];
  for (const f of top) {
    const a = el('a', { href: `${base}/files/${encodeURIComponent(f)}`, textContent: f });
    a.download = f;
    a.dataset.file = f;
    list.append(el('li', {}, a));
  }
  if (folders.length) {
    const n = job.files.filter((f) => f.startsWith(`${folders[0]}/`)).length;
    list.append(el('li', { className: 'muted', textContent: `Frames (${n} per folder): ${folders.map((f) => `${f}/`).join(', ')}, in the ZIP` }));
  }
  $('#archive').href = `${base}/archive`;
  $('#archive').download = `${job.task.replaceAll(' ', '-')}-${job.id}.zip`;
  $('#downloads').hidden = false;
  // Final outputs replace the previews.
  $('#preview-caption').hidden = true;
  const box = $('#previews');
  box.replaceChildren();
  for (const f of top.filter((f) => f.endsWith('.mp4'))) {
    const video = el('video', { src: `${base}/files/${encodeURIComponent(f)}`, controls: true, loop: true, muted: true, preload: 'auto' });
    video.dataset.layer = f.replace(/\.mp4$/, '');
    box.append(el('figure', {}, video, el('figcaption', { textContent: f })));
  }
  for (const f of top.filter((f) => f.endsWith('.png'))) {
    const img = el('img', { src: `${base}/files/${encodeURIComponent(f)}`, alt: f });
    img.dataset.layer = f.replace(/\.png$/, '');
    box.append(el('figure', {}, img, el('figcaption', { textContent: f })));
  }
  renderResults(job, top.filter((f) => f.endsWith('.png')));
}

// ---- results beside the input ----------------------------------------------------------------

// The output shown first against the input: the layer a person came for.
const MAIN_OUTPUT = ['foreground.png', 'dehazed.png', 'clean.png', 'layer1.png'];

/** The input under a chosen output, split by a range input; for a mask, the cut-out. */
function renderResults(job, pngs) {
  const results = $('#results');
  results.hidden = !job.inputFile || pngs.length === 0;
  if (results.hidden) return;
  const base = `/api/jobs/${job.id}`;
  $('#compare-input').src = `${base}/input`;
  const choice = $('#compare-choice');
  choice.replaceChildren(...pngs.map((f) => el('option', { value: f, textContent: f.replace(/\.png$/, '') })));
  choice.value = MAIN_OUTPUT.find((f) => pngs.includes(f)) ?? pngs[0];
  const show = () => { $('#compare-output').src = `${base}/files/${encodeURIComponent(choice.value)}`; };
  choice.onchange = show;
  show();
  setSplit($('#compare-range').value);
  $('#cutout-fig').hidden = !pngs.includes('mask.png');
  if (pngs.includes('mask.png')) void drawCutout(`${base}/input`, `${base}/files/mask.png`, job.id);
}

function setSplit(value) {
  const v = Math.min(100, Math.max(0, Number(value)));
  $('#compare-output').style.clipPath = `inset(0 0 0 ${v}%)`;
  $('#compare-line').style.left = `${v}%`;
  $('#compare').dataset.split = String(v);
}

/** The input with the mask as its alpha, over the canvas's checkerboard (CSS): what the mask cuts out. */
async function drawCutout(inputUrl, maskUrl, id) {
  const canvas = $('#cutout');
  delete canvas.dataset.ready;
  const [input, mask] = await Promise.all([loadImage(inputUrl), loadImage(maskUrl)]).catch(() => []);
  if (!input || !mask || state.jobId !== id) return;
  const w = input.naturalWidth, h = input.naturalHeight;
  const layer = (img) => {
    const c = el('canvas', { width: w, height: h });
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0, w, h);
    return g.getImageData(0, 0, w, h);
  };
  const pixels = layer(input), alpha = layer(mask).data;
  for (let i = 0; i < pixels.data.length; i += 4) pixels.data[i + 3] = alpha[i];
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').putImageData(pixels, 0, 0);
  canvas.dataset.ready = '1';
}

function drawPlot() {
  const c = $('#loss-plot');
  const g = c.getContext('2d');
  const W = c.width, H = c.height, L = 52, R = 10, T = 18, B = 24;
  g.clearRect(0, 0, W, H);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#667085';
  g.fillText('loss (log scale)', L, 12);
  const pts = state.history.filter(([, l]) => Number.isFinite(l) && l > 0);
  c.dataset.points = String(pts.length);
  if (pts.length < 2) {
    // A finished job without a history did not train (dehaze with the dark channel prior, two mixtures solved).
    const untrained = state.job && FINAL.has(state.job.state) && state.job.result && state.job.result.iterations === 0;
    g.fillText(untrained ? 'No loss curve: this method does not train.' : 'The loss curve appears here while training.', L, H / 2);
    return;
  }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => Math.log10(p[1]));
  const x0 = xs[0], x1 = xs[xs.length - 1] || x0 + 1;
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-6) { y0 -= 0.5; y1 += 0.5; }
  const px = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  g.strokeStyle = '#d9dee8';
  g.beginPath();
  g.moveTo(L, T); g.lineTo(L, H - B); g.lineTo(W - R, H - B);
  g.stroke();
  g.fillStyle = '#667085';
  g.textAlign = 'right';
  g.fillText(Math.pow(10, y1).toPrecision(3), L - 4, T + 4);
  g.fillText(Math.pow(10, y0).toPrecision(3), L - 4, H - B);
  g.textAlign = 'center';
  g.fillText(String(x0), L, H - 8);
  g.fillText(String(x1), W - R - 10, H - 8);
  g.fillText('iteration', (L + W) / 2, H - 8);
  g.textAlign = 'left';
  g.strokeStyle = '#2f6fde';
  g.lineWidth = 1.5;
  g.beginPath();
  pts.forEach((p, i) => (i ? g.lineTo(px(p[0]), py(ys[i])) : g.moveTo(px(p[0]), py(ys[i]))));
  g.stroke();
}

async function stopJob() {
  if (!state.jobId) return;
  $('#stop').disabled = true;
  $('#stop').textContent = 'Stopping…';
  try {
    await api(`/api/jobs/${state.jobId}/stop`, { method: 'POST' });
  } catch (e) {
    $('#job-error').textContent = e.message;
    $('#job-error').hidden = false;
  }
}

// ---- the queue ----------------------------------------------------------------------------------

let queueTimer = null;
async function refreshQueue() {
  clearTimeout(queueTimer);
  try {
    const { jobs } = await api('/api/jobs');
    const tbody = $('#queue tbody');
    // Rows are rebuilt every few seconds: the row a keyboard user is on keeps the focus.
    const focused = tbody.contains(document.activeElement) ? document.activeElement.dataset.id : undefined;
    tbody.replaceChildren();
    for (const j of jobs.slice().reverse()) {
      const progress = j.state === 'queued' ? `position ${j.queuePosition ?? '?'}`
        : j.state === 'running' && j.progress ? `${j.progress.iteration} / ${j.progress.total}, ETA ${fmtTime(j.progress.eta)}`
        : j.result ? `${j.result.iterations} it, ${j.result.psnr.toFixed(2)} dB` : j.error ? j.error.slice(0, 80) : '';
      const row = el('tr', {},
        el('td', {}, el('code', { textContent: j.id })), el('td', { textContent: j.task }),
        el('td', {}, el('span', { className: `badge ${j.state}`, textContent: j.state })),
        el('td', { textContent: progress }), el('td', { className: 'created', textContent: new Date(j.createdAt).toLocaleString() }));
      row.dataset.id = j.id;
      row.classList.toggle('current', j.id === state.jobId);
      row.tabIndex = 0;
      row.setAttribute('aria-label', `Job ${j.id}, ${j.task}, ${j.state}: press Enter to open`);
      row.addEventListener('click', () => openJob(j.id));
      row.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' && ev.key !== ' ') return;
        ev.preventDefault();
        openJob(j.id);
        $('#job').scrollIntoView({ block: 'start' });
      });
      tbody.append(row);
      if (j.id === focused) row.focus({ preventScroll: true });
    }
    $('#queue-empty').hidden = jobs.length > 0;
  } catch { /* the server may be restarting: try again */ }
  queueTimer = setTimeout(refreshQueue, 3000);
}

// ---- start-up ---------------------------------------------------------------------------------------

async function init() {
  setupDrop();
  setupBoxDrawing();
  $('#job-form').addEventListener('submit', start);
  $('#task').addEventListener('change', onTaskChange);
  $('#stop').addEventListener('click', stopJob);
  $('#compare-range').addEventListener('input', (ev) => setSplit(ev.target.value));
  try {
    const { tasks, limits } = await api('/api/tasks');
    state.tasks = tasks;
    state.limits = limits;
    for (const t of tasks) $('#task').append(el('option', { value: t.name, textContent: t.label }));
    onTaskChange();
  } catch (e) {
    showFormError(`Cannot reach the server: ${e.message}`);
  }
  drawPlot();
  void refreshQueue();
  document.body.dataset.ready = '1';
}

void init();
