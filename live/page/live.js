// The live page: reads /events (Server-Sent Events, shared/spec/live.md),
// /frame (the pressure map) and /session (the session so far) from the
// daemon that served it; nothing else is fetched.
'use strict';
const $ = (id) => document.getElementById(id);
const zoneWords = { slow: 'slow: good', brisk: 'brisk: slower', too_fast: 'too fast!' };
let profile = null, lastCue = null, lastState = null, audio = null;

function fmt(x, digits) { return x === null || x === undefined ? '\u2013' : x.toFixed(digits); }

function setState(state) {
  const el = $('state');
  el.textContent = state;
  el.dataset.state = state;
  if (state !== lastState) {
    // The states seen, in order (repeats folded): what the session went through.
    el.dataset.trail = (el.dataset.trail ? el.dataset.trail + ' ' : '') + state;
    lastState = state;
  }
}

function gauge(speed) {
  const fast = profile ? profile.speed_fast_mm_s : 100;
  const slow = profile ? profile.speed_slow_max_mm_s : 50;
  // Zones: 0..slow, slow..fast, fast..1.5 fast, drawn in those proportions.
  const top = 1.5 * fast;
  $('gauge').children[0].style.flex = String(slow);
  $('gauge').children[1].style.flex = String(fast - slow);
  $('gauge').children[2].style.flex = String(top - fast);
  const x = speed === null ? 0 : Math.min(speed, top) / top;
  $('needle').style.left = 'calc(' + (100 * x).toFixed(1) + '% - 0.6vw)';
}

function holdView(ev) {
  const [lo, hi] = ev.hold_target_s;
  $('target').textContent = 'target ' + lo + '\u2013' + hi + ' s';
  const stopped = ev.state === 'hold' || ev.state === 'paused';
  const h = stopped ? ev.hold_s : 0;
  const hold = $('hold');
  hold.textContent = h.toFixed(1);
  if (ev.state === 'hold' && h > Number(hold.dataset.max)) hold.dataset.max = h.toFixed(1);
  const scale = hi * 1.5;
  $('hold-target').style.left = (100 * lo / scale) + '%';
  $('hold-target').style.width = (100 * (hi - lo) / scale) + '%';
  $('hold-fill').style.width = Math.min(100, 100 * h / scale) + '%';
  let verdict = '\u00a0';
  if (ev.state === 'hold') verdict = h < lo ? 'holding\u2026' : h <= hi ? 'done \u2714' : 'too long: roll on';
  $('hold-verdict').textContent = verdict;
}

function say(text) {
  if ($('speak').checked && 'speechSynthesis' in window) {
    const u = new SpeechSynthesisUtterance(text);
    u.rate = 0.95;
    window.speechSynthesis.speak(u);
  }
  if ($('tone').checked) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 520;
      g.gain.setValueAtTime(0.0001, audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.05);
      g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.6);
      o.connect(g).connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.65);
    } catch (e) { /* no audio on this device */ }
  }
}

function onEvent(ev) {
  setState(ev.state);
  $('muscle').textContent = ev.muscle || (ev.state === 'idle' ? 'no session' : 'no muscle named');
  $('speed').textContent = ev.state === 'rolling' ? fmt(ev.speed_mm_s, 0) : '\u2013';
  gauge(ev.state === 'rolling' ? ev.speed_mm_s : null);
  const zone = ev.state === 'rolling' ? ev.speed_zone : null;
  $('zone').dataset.zone = zone || '';
  $('zone').textContent = zone ? zoneWords[zone] : '\u00a0';
  holdView(ev);
  $('pressure').textContent = fmt(ev.mean_kpa, 0);
  if (ev.cue !== lastCue) {
    $('cue').textContent = ev.cue || '\u00a0';
    if (ev.cue) say(ev.cue);
    lastCue = ev.cue;
  }
}

function drawMap(f) {
  if (!f || !f.rows) return;
  const c = $('map'), ctx = c.getContext('2d');
  // Rows run along the roll axis: drawn top to bottom, as the mat lies.
  if (c.width !== f.cols || c.height !== f.rows) { c.width = f.cols; c.height = f.rows; }
  const vals = f.kpa || f.counts;
  const limit = f.kpa && profile ? profile.pressure_max_kpa : Math.max(1, ...vals);
  const img = ctx.createImageData(f.cols, f.rows);
  for (let i = 0; i < vals.length; i++) {
    const x = Math.min(1, vals[i] / limit);
    img.data[4 * i] = 255 * Math.min(1, 2 * x);
    img.data[4 * i + 1] = 255 * Math.max(0, 2 * x - 1) * 0.8 + 40 * x;
    img.data[4 * i + 2] = 90 * (1 - x) * (x > 0.02 ? 1 : 0.3);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  $('pressure-unit').textContent = f.kpa ? 'kPa' : '(no calibration)';
}

function showSession(s) {
  if (!s) return;
  profile = s.profile;
  $('limit').textContent = s.calibrated ? 'limit ' + s.profile.pressure_max_kpa + ' kPa' : '';
  $('session-name').textContent = s.session ? 'session ' + s.session : '';
  const ul = $('holds');
  ul.textContent = '';
  for (const h of s.holds) {
    const li = document.createElement('li');
    li.textContent = (h.muscle || 'hold') + ': ' + h.duration_s.toFixed(0) + ' s';
    ul.appendChild(li);
  }
  $('score').textContent = s.score ? 'score so far ' + s.score.total + ' (speed ' +
      s.score.speed + ', holds ' + s.score.holds + ')' : '';
  const r = s.rolling_s;
  $('zones').textContent = 'rolled ' + r.slow.toFixed(0) + ' s slow, ' + r.brisk.toFixed(0) +
      ' s brisk, ' + r.too_fast.toFixed(0) + ' s too fast';
}

async function poll(path, then) {
  try {
    const r = await fetch(path, { cache: 'no-store' });
    if (r.ok) then(await r.json());
  } catch (e) { /* the daemon restarts: the next poll tries again */ }
}

function connect() {
  const es = new EventSource('/events');
  es.onopen = () => { $('link').textContent = 'live'; };
  es.onmessage = (m) => onEvent(JSON.parse(m.data));
  es.onerror = () => { $('link').textContent = 'reconnecting\u2026'; };
}

poll('/session', showSession);
connect();
setInterval(() => poll('/frame', drawMap), 200);
setInterval(() => poll('/session', showSession), 1000);
