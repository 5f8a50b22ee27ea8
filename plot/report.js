/* rollmat report: the runner/clinician switch and the session movie.
 * Embedded into report.html by `rollmat plot` (plot/embed_text.cmake); the
 * movie's frames come from movie.js beside the report (window.RM_MOVIE).
 * No library, nothing fetched: the page works offline from its folder.
 * With #selftest in the address the page drives its own controls and
 * writes what it saw into <pre id="rm-selftest"> (tests/plot). */
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });

  /* ---- runner / clinician ---- */
  function setMode(mode) {
    document.body.classList.toggle('runner', mode === 'runner');
    var buttons = document.querySelectorAll('.mode button');
    for (var i = 0; i < buttons.length; i++)
      buttons[i].setAttribute('aria-pressed', buttons[i].dataset.mode === mode ? 'true' : 'false');
  }
  function initMode() {
    var buttons = document.querySelectorAll('.mode button');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener('click', function (e) {
        var mode = e.currentTarget.dataset.mode;
        setMode(mode);
        history.replaceState(null, '', mode === 'runner' ? '#runner' : '#clinician');
      });
    }
    setMode(location.hash.indexOf('runner') >= 0 ? 'runner' : 'clinician');
  }

  /* ---- the movie ---- */
  /* ColorBrewer YlOrRd from white, as the gnuplot pictures. */
  var STOPS = [[0, '#ffffff'], [0.03, '#ffffcc'], [0.15, '#ffeda0'], [0.28, '#fed976'],
    [0.41, '#feb24c'], [0.54, '#fd8d3c'], [0.67, '#fc4e2a'], [0.80, '#e31a1c'],
    [0.90, '#bd0026'], [1, '#800026']];
  function rgb(hex) {
    return [parseInt(hex.substr(1, 2), 16), parseInt(hex.substr(3, 2), 16),
      parseInt(hex.substr(5, 2), 16)];
  }
  function palette() {
    var lut = new Uint8Array(256 * 3);
    for (var v = 0; v < 256; v++) {
      var x = v / 255, k = 1;
      while (k < STOPS.length - 1 && STOPS[k][0] < x) k++;
      var a = STOPS[k - 1], b = STOPS[k], f = (x - a[0]) / (b[0] - a[0] || 1);
      var ca = rgb(a[1]), cb = rgb(b[1]);
      for (var c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(ca[c] + f * (cb[c] - ca[c]));
    }
    return lut;
  }
  var STATE = { u: 'not loaded', r: 'rolling', p: 'pause', h: 'hold' };

  function Movie(root, m) {
    this.m = m;
    var bin = atob(m.frames);
    this.bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) this.bytes[i] = bin.charCodeAt(i);
    this.cells = m.rows * m.cols;
    this.lut = palette();
    this.canvas = root.querySelector('canvas');
    this.scrub = root.querySelector('input[type=range]');
    this.play = root.querySelector('button.play');
    this.speed = root.querySelector('select.speed');
    this.info = root.querySelector('.movie-info');
    this.index = 0;
    this.timer = null;
    this.small = document.createElement('canvas');
    this.small.width = m.cols;
    this.small.height = m.rows;
    this.image = this.small.getContext('2d').createImageData(m.cols, m.rows);
    this.scrub.max = String(m.n - 1);
    this.marks(root.querySelector('.scrub-marks'));
    var self = this;
    this.scrub.addEventListener('input', function () { self.show(+self.scrub.value); });
    this.play.addEventListener('click', function () { self.toggle(); });
    /* Open on the first frame that carries weight, not an empty mat. */
    var first = m.state.search(/[^u]/);
    this.show(first > 0 ? first : 0);
  }
  Movie.prototype.fraction = function (t) {
    var m = this.m, span = m.t[m.n - 1] - m.t[0];
    return span > 0 ? (t - m.t[0]) / span : 0;
  };
  Movie.prototype.marks = function (box) {
    var m = this.m;
    for (var i = 0; i < m.holds.length; i++) {
      var d = document.createElement('span');
      var a = this.fraction(m.holds[i][0]), b = this.fraction(m.holds[i][1]);
      d.className = 'hold-mark';
      d.style.left = (100 * a) + '%';
      d.style.width = Math.max(0.4, 100 * (b - a)) + '%';
      d.title = 'hold ' + Math.round(m.holds[i][1] - m.holds[i][0]) + ' s';
      box.appendChild(d);
    }
    for (var j = 0; j < (m.others || []).length; j++) {
      var e = document.createElement('span');
      var oa = this.fraction(m.others[j][0]), ob = this.fraction(m.others[j][1]);
      e.className = 'other-mark';
      e.style.left = (100 * oa) + '%';
      e.style.width = Math.max(0.4, 100 * (ob - oa)) + '%';
      e.title = 'other contact (not judged)';
      box.appendChild(e);
    }
  };
  Movie.prototype.show = function (k) {
    var m = this.m, px = this.image.data, lut = this.lut;
    this.index = k;
    this.scrub.value = String(k);
    /* Row 0 at the bottom: the roll axis runs upward as in the pictures. */
    for (var r = 0; r < m.rows; r++) {
      for (var c = 0; c < m.cols; c++) {
        var v = this.bytes[k * this.cells + r * m.cols + c];
        var o = ((m.rows - 1 - r) * m.cols + c) * 4;
        px[o] = lut[v * 3]; px[o + 1] = lut[v * 3 + 1]; px[o + 2] = lut[v * 3 + 2]; px[o + 3] = 255;
      }
    }
    this.small.getContext('2d').putImageData(this.image, 0, 0);
    var ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.small, 0, 0, this.canvas.width, this.canvas.height);
    /* Other contacts down now: a purple ring where each is (row 0 at the
     * bottom; a sensel's centre is (n + 1/2) pitches in). */
    var others = 0, W = this.canvas.width, H = this.canvas.height;
    for (var i = 0; i < (m.others || []).length; i++) {
      var o = m.others[i];
      if (m.t[k] < o[0] || m.t[k] > o[1]) continue;
      var x = o[3] / m.pitch_col_mm / m.cols * W, y = H - o[2] / m.pitch_row_mm / m.rows * H;
      ctx.beginPath();
      ctx.arc(x, y, Math.max(10, 1.5 * W / m.cols), 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#762a83';
      ctx.stroke();
      others++;
    }
    var seg = m.seg[k] >= 0 ? m.labels[m.seg[k]] : 'between muscles';
    var pos = m.pos[k] === null ? '–' : Math.round(m.pos[k]) + ' mm';
    var mean = m.mean[k] === null ? '–' : m.mean[k].toFixed(0) + ' ' + m.unit;
    this.info.textContent = 't = ' + m.t[k].toFixed(1) + ' s · ' + seg + ' · ' +
      STATE[m.state.charAt(k)] + ' · roll position ' + pos + ' · contact-mean ' + mean +
      (others ? ' · other contact down (ringed, not judged)' : '');
  };
  Movie.prototype.toggle = function () {
    var self = this;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.play.textContent = '▶ play';
      return;
    }
    if (this.index >= this.m.n - 1) this.show(0);
    this.play.textContent = '❚❚ pause';
    var last = Date.now(), clock = this.m.t[this.index];
    this.timer = setInterval(function () {
      var now = Date.now();
      clock += (now - last) / 1000 * (+self.speed.value);
      last = now;
      var m = self.m, k = self.index;
      while (k < m.n - 1 && m.t[k + 1] <= clock) k++;
      if (k !== self.index) self.show(k);
      if (k >= m.n - 1) self.toggle();
    }, 40);
  };

  function selftest(movie) {
    var out = { errors: errors, frames: movie ? movie.m.n : 0 };
    function signature() {
      var d = movie.canvas.getContext('2d').getImageData(0, 0, movie.canvas.width,
        movie.canvas.height).data, s = 0;
      for (var i = 0; i < d.length; i += 4) s = (s * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1000000007;
      return s;
    }
    function finish() {
      var pre = document.createElement('pre');
      pre.id = 'rm-selftest';
      pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
    }
    function visible(sel) {
      var all = document.querySelectorAll(sel), k = 0;
      for (var i = 0; i < all.length; i++) if (all[i].offsetParent !== null) k++;
      return k;
    }
    var mode = document.body.classList.contains('runner') ? 'runner' : 'clinician';
    out.clinician_tech = visible('.tech, .clinician-only');
    setMode('runner');
    out.runner_hidden = visible('.tech, .clinician-only');
    out.runner_shown = visible('.runner-only');
    setMode(mode);
    if (!movie) { finish(); return; }
    out.sig_start = signature();
    out.info_start = movie.info.textContent;
    movie.scrub.value = String(Math.floor(movie.m.n / 2));
    movie.scrub.dispatchEvent(new Event('input'));
    out.sig_scrubbed = signature();
    out.info_scrubbed = movie.info.textContent;
    out.index_scrubbed = movie.index;
    movie.speed.value = '8';
    movie.toggle();
    setTimeout(function () {
      out.index_played = movie.index;
      out.playing = movie.timer !== null;
      out.sig_played = signature();
      if (movie.timer) movie.toggle();
      out.marks = document.querySelectorAll('.scrub-marks .hold-mark').length;
      finish();
    }, 1500);
  }

  /* #only=ID shows that part of the report alone (screenshots of a part). */
  function initOnly() {
    var m = /only=([\w-]+)/.exec(location.hash);
    if (!m) return;
    var keep = document.getElementById(m[1]) || document.querySelector('.' + m[1]);
    var parts = document.querySelectorAll('main > *');
    for (var i = 0; keep && i < parts.length; i++)
      if (parts[i] !== keep) parts[i].style.display = 'none';
  }

  document.addEventListener('DOMContentLoaded', function () {
    initMode();
    initOnly();
    var root = document.getElementById('movie'), movie = null;
    if (root && window.RM_MOVIE) movie = new Movie(root, window.RM_MOVIE);
    if (location.hash.indexOf('selftest') >= 0) selftest(movie);
  });
})();
