/* live_model.js: the book's live figure (semgcn.viz.live_model).  A 2D pose whose joints the reader
 * drags (mouse or touch), and the 3D pose that a shipped network (semgcn_net.js) answers, redrawn at
 * every move and turned by dragging.  Needs SemgcnNet; exposes window.SemgcnLive.mount(element, base).
 *
 * Each mounted figure gets element.semgcnLive = {setModel(name) -> Promise, setPose(pixels) -> answer,
 * output(), jointClientPosition(j), timings(), models(), presets()}: the site check drives it through
 * this, and through real pointer events. */
(function () {
  "use strict";

  var COLORS = { left: "#1f5fbf", right: "#d62728", center: "#333333" };   // replaced by manifest.colors
  var manifests = {}, networks = {};

  var CSS = [
    ".semgcn-live-ui { margin: 0; }",
    ".semgcn-live-controls { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; margin: 0 0 8px; }",
    ".semgcn-live-controls label { display: flex; gap: 6px; align-items: center; max-width: 100%; margin: 0; }",
    ".semgcn-live-controls select { max-width: 100%; min-width: 0; font-size: 0.9rem; padding: 2px 4px; }",
    ".semgcn-live button { font-size: 0.85rem; padding: 2px 8px; border: 1px solid #bbb; border-radius: 4px;",
    "  background: #f7f7f7; color: #222; cursor: pointer; }",
    ".semgcn-live button:hover { background: #eee; }",
    ".semgcn-live-panels { display: flex; flex-wrap: wrap; gap: 12px; }",
    ".semgcn-live-panel { flex: 1 1 260px; min-width: 0; max-width: 372px; margin: 0; }",
    ".semgcn-live-panel figcaption { font-size: 0.85rem; color: #444; margin: 0 0 3px; }",
    ".semgcn-live canvas { display: block; width: 100%; border: 1px solid #d0d0d0; border-radius: 4px;",
    "  background: #fff; user-select: none; -webkit-user-select: none; }",
    ".semgcn-live-2d { touch-action: auto; cursor: default; }",
    ".semgcn-live-3d { touch-action: pan-y; cursor: grab; }",
    ".semgcn-live-views { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }",
    ".semgcn-live-status { margin: 8px 0 2px; min-height: 2.6em; }",
    ".semgcn-live-legend { font-size: 0.8rem; color: #555; margin: 0; }",
    ".semgcn-live-swatch { display: inline-block; width: 14px; height: 4px; vertical-align: middle; margin: 0 3px; }"
  ].join("\n");

  function fetchOk(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(url.split("/").pop() + ": HTTP " + r.status); }
      return r;
    });
  }

  function loadManifest(base) {
    if (!manifests[base]) {
      manifests[base] = fetchOk(base + "manifest.json").then(function (r) { return r.json(); });
    }
    return manifests[base];
  }

  function loadNetwork(base, manifest, name) {
    var key = base + name;
    if (!networks[key]) {
      var spec = manifest.models.filter(function (m) { return m.name === name; })[0];
      if (!spec) { return Promise.reject(new Error("no network " + name + " in manifest.json")); }
      networks[key] = fetchOk(base + spec.file).then(function (r) { return r.arrayBuffer(); })
        .then(function (buf) { return new window.SemgcnNet.Network(spec, buf, manifest.joints.length); });
      networks[key].catch(function () { delete networks[key]; });
    }
    return networks[key];
  }

  function el(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function sideOf(manifest, j) {
    return manifest.left.indexOf(j) >= 0 ? "left" : manifest.right.indexOf(j) >= 0 ? "right" : "center";
  }

  function readable(name) {   // "RWrist" -> "right wrist"
    var m = /^([LR])([A-Z].*)$/.exec(name);
    return m ? (m[1] === "L" ? "left " : "right ") + m[2].toLowerCase() : name.toLowerCase();
  }

  function mount(root, base) {
    if (root.semgcnLive) { return; }
    if (!document.getElementById("semgcn-live-css")) { el("style", { id: "semgcn-live-css" }, document.head, CSS); }
    var fallback = root.querySelector(".semgcn-live-fallback");
    var note = root.querySelector(".semgcn-live-note");
    root.setAttribute("data-state", "loading");
    if (typeof fetch === "undefined" || !window.SemgcnNet) {
      note.textContent = "This browser cannot run the live figure (no fetch); this is a static picture.";
      root.setAttribute("data-state", "error");
      return;
    }
    var state = {
      manifest: null, net: null, model: root.getAttribute("data-model"), preset: 0, pose: null, start: null,
      answer: null, ghost: null, dragging: -1, hover: -1, moved: -1, suggest: -1,
      yaw: -35 * Math.PI / 180, pitch: 15 * Math.PI / 180, view: null, times: [], forwardTimes: []
    };
    var ui = el("div", { "class": "semgcn-live-ui", hidden: "" });
    root.insertBefore(ui, root.firstChild);
    var controls = el("div", { "class": "semgcn-live-controls" }, ui);
    var modelLabel = el("label", {}, controls, "Network");
    var modelSelect = el("select", { "class": "semgcn-live-model", "aria-label": "network" }, modelLabel);
    var presetLabel = el("label", {}, controls, "Pose");
    var presetSelect = el("select", { "class": "semgcn-live-preset", "aria-label": "preset pose" }, presetLabel);
    var resetButton = el("button", { type: "button", "class": "semgcn-live-reset" }, controls, "Reset pose");
    var panels = el("div", { "class": "semgcn-live-panels" }, ui);
    var p2 = el("figure", { "class": "semgcn-live-panel" }, panels);
    el("figcaption", {}, p2, "2D input, the camera's image: drag a joint");
    var c2 = el("canvas", { "class": "semgcn-live-2d", role: "application",
      "aria-label": "2D pose: drag its joints, or use the arrow keys (J picks the joint)" }, p2);
    var p3 = el("figure", { "class": "semgcn-live-panel" }, panels);
    var caption3 = el("figcaption", {}, p3, "3D answer: drag to turn it");
    var c3 = el("canvas", { "class": "semgcn-live-3d", role: "img", "aria-label": "the network's 3D answer" }, p3);
    var views = el("div", { "class": "semgcn-live-views" }, p3);
    [["camera", "camera's view"], ["side", "from the side"], ["top", "from above"], ["turned", "turned"]]
      .forEach(function (v) { el("button", { type: "button", "data-view": v[0] }, views, v[1]); });
    var status = el("p", { "class": "semgcn-live-status", "aria-live": "polite" }, ui);
    var legend = el("p", { "class": "semgcn-live-legend" }, ui);
    var timing = el("span", { "class": "semgcn-live-timing" });

    function net2input(pose) {
      return window.SemgcnNet.normalizeScreen(pose, state.manifest.camera.w, state.manifest.camera.h);
    }

    function label() {   // the network's short name
      var m = state.manifest.models.filter(function (e) { return e.name === state.model; })[0];
      return m ? m.label : state.model;
    }

    function fitView() {   // the 2D window: the preset's bounding box with room to drag
      var p = state.start, minx = Infinity, maxx = -Infinity, miny = Infinity, maxy = -Infinity;
      for (var j = 0; j < p.length; j += 2) {
        minx = Math.min(minx, p[j]); maxx = Math.max(maxx, p[j]);
        miny = Math.min(miny, p[j + 1]); maxy = Math.max(maxy, p[j + 1]);
      }
      state.view = { cx: (minx + maxx) / 2, cy: (miny + maxy) / 2, half: 0.68 * Math.max(maxx - minx, maxy - miny) };
    }

    function size(canvas) { return canvas.clientWidth || 300; }

    function toScreen(u, v, s) {
      var w = state.view;
      return [(u - w.cx) / w.half * s / 2 + s / 2, (v - w.cy) / w.half * s / 2 + s / 2];
    }

    function fromScreen(x, y, s) {
      var w = state.view;
      return [(x - s / 2) / (s / 2) * w.half + w.cx, (y - s / 2) / (s / 2) * w.half + w.cy];
    }

    function prepare(canvas) {
      var s = size(canvas), dpr = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(s * dpr) || canvas.height !== Math.round(s * dpr)) {
        canvas.width = Math.round(s * dpr);
        canvas.height = Math.round(s * dpr);
        canvas.style.height = s + "px";
      }
      var ctx = canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, s, s);
      return ctx;
    }

    function bones(ctx, pts, alpha, dash, width) {
      var m = state.manifest;
      ctx.globalAlpha = alpha;
      ctx.setLineDash(dash);
      ctx.lineWidth = width;
      ctx.lineCap = "round";
      m.parents.forEach(function (p, j) {
        if (p < 0) { return; }
        ctx.strokeStyle = COLORS[sideOf(m, j)];
        ctx.beginPath();
        ctx.moveTo(pts[j][0], pts[j][1]);
        ctx.lineTo(pts[p][0], pts[p][1]);
        ctx.stroke();
      });
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }

    function draw2d() {
      var ctx = prepare(c2), s = size(c2), m = state.manifest, k, pts = [], ghost = [];
      for (k = 0; k < m.joints.length; k++) {
        pts.push(toScreen(state.pose[2 * k], state.pose[2 * k + 1], s));
        ghost.push(toScreen(state.start[2 * k], state.start[2 * k + 1], s));
      }
      bones(ctx, ghost, 0.4, [5, 5], 2);
      bones(ctx, pts, 1, [], 4);
      for (k = 0; k < pts.length; k++) {
        ctx.fillStyle = COLORS[sideOf(m, k)];
        ctx.beginPath();
        ctx.arc(pts[k][0], pts[k][1], 5, 0, 2 * Math.PI);
        ctx.fill();
        if (k === state.dragging || k === state.hover || (k === state.suggest && state.moved < 0)
            || (k === state.moved && document.activeElement === c2)) {
          ctx.strokeStyle = "#111";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.arc(pts[k][0], pts[k][1], 10, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
      var named = state.dragging >= 0 ? state.dragging : state.hover >= 0 ? state.hover
        : state.moved < 0 ? state.suggest : -1;
      if (named >= 0) {
        ctx.font = "12px sans-serif";
        ctx.fillStyle = "#111";
        var x = pts[named][0] + 13, y = pts[named][1] - 8, text = readable(m.joints[named]);
        ctx.textAlign = x + ctx.measureText(text).width > s - 4 ? "right" : "left";
        if (ctx.textAlign === "right") { x = pts[named][0] - 13; }
        ctx.fillText(text, x, Math.max(y, 12));
        ctx.textAlign = "left";
      }
    }

    /* Camera coordinates (x right, y down, z depth) -> screen, for the view's yaw and pitch: at yaw =
     * pitch = 0 the reader looks along the camera's axis and sees what the camera sees. */
    function project(p, s) {
      var X = p[0], Y = p[2], Z = -p[1], cy = Math.cos(state.yaw), sy = Math.sin(state.yaw);
      var cp = Math.cos(state.pitch), sp = Math.sin(state.pitch);
      var x1 = X * cy - Y * sy, y1 = X * sy + Y * cy;
      var up = Z * cp + y1 * sp, depth = y1 * cp - Z * sp, scale = s / 2.3;
      return [s / 2 + x1 * scale, s * 0.47 - up * scale, depth];
    }

    function draw3d() {
      var ctx = prepare(c3), s = size(c3), m = state.manifest, k;
      /* The axes, in a corner so that they never hide the pose: x (image right), up, and the
       * direction towards the camera (the depth the network has to guess runs along it). */
      var axes = [[[0.22, 0, 0], "x"], [[0, -0.22, 0], "up"], [[0, 0, -0.22], "to camera"]];
      var o = project([0, 0, 0], s), ox = s * 0.16 - o[0], oy = s * 0.86 - o[1];
      ctx.font = "11px sans-serif";
      ctx.lineWidth = 1.2;
      axes.forEach(function (a) {
        var e = project(a[0], s);
        ctx.strokeStyle = "#999";
        ctx.fillStyle = "#666";
        ctx.setLineDash(a[1] === "to camera" ? [3, 3] : []);
        ctx.beginPath(); ctx.moveTo(o[0] + ox, o[1] + oy); ctx.lineTo(e[0] + ox, e[1] + oy); ctx.stroke();
        var dx = e[0] - o[0], dy = e[1] - o[1], n = Math.hypot(dx, dy) || 1;   // label beyond the tip
        var tw = ctx.measureText(a[1]).width, lx = e[0] + ox + 5 * dx / n;
        lx = dx / n > 0.3 ? lx : dx / n < -0.3 ? lx - tw : lx - tw / 2;    // left edge of the label
        lx = Math.max(2, Math.min(s - 2 - tw, lx));                          // inside the canvas
        ctx.fillText(a[1], lx, e[1] + oy + 5 * dy / n + (dy / n > 0.3 ? 9 : dy / n < -0.3 ? -2 : 4));
      });
      ctx.setLineDash([]);
      var ghost = [], pts = [];
      for (k = 0; k < m.joints.length; k++) {
        ghost.push(project([state.ghost[3 * k], state.ghost[3 * k + 1], state.ghost[3 * k + 2]], s));
        pts.push(project([state.answer[3 * k], state.answer[3 * k + 1], state.answer[3 * k + 2]], s));
      }
      bones(ctx, ghost, 0.4, [5, 5], 2);
      drawRay(ctx, s);
      var order = m.parents.map(function (p, j) { return j; }).filter(function (j) { return m.parents[j] >= 0; });
      order.sort(function (a, b) {   // far bones first
        return (pts[b][2] + pts[m.parents[b]][2]) - (pts[a][2] + pts[m.parents[a]][2]);
      });
      ctx.lineWidth = 4;
      ctx.lineCap = "round";
      order.forEach(function (j) {
        ctx.strokeStyle = COLORS[sideOf(m, j)];
        ctx.beginPath();
        ctx.moveTo(pts[j][0], pts[j][1]);
        ctx.lineTo(pts[m.parents[j]][0], pts[m.parents[j]][1]);
        ctx.stroke();
      });
      for (k = 0; k < pts.length; k++) {
        ctx.fillStyle = COLORS[sideOf(m, k)];
        ctx.beginPath();
        ctx.arc(pts[k][0], pts[k][1], k === state.moved || k === state.dragging ? 5 : 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }

    /* The viewing ray of the joint being dragged: every 3D point that the camera sees at that pixel,
     * in the answer's root-relative coordinates.  The pelvis depth Z0 is not in the answer; it is taken
     * from the ratio of the pose's 2D size (pixels) to its 3D size (metres): Z0 = f * metres / pixels. */
    function drawRay(ctx, s) {
      var j = state.dragging >= 0 ? state.dragging : state.moved >= 0 ? state.moved : state.suggest;
      var cam = state.manifest.camera, a = state.answer, p = state.pose, px = 0, mm = 0;
      if (j < 0 || !cam.f) { return; }
      for (var k = 1; k < state.manifest.joints.length; k++) {
        px += Math.hypot(p[2 * k] - p[0], p[2 * k + 1] - p[1]);
        mm += Math.hypot(a[3 * k], a[3 * k + 1]);
      }
      if (!(px > 0 && mm > 0)) { return; }
      var z0 = cam.f * mm / px, x0 = (p[0] - cam.c[0]) * z0 / cam.f, y0 = (p[1] - cam.c[1]) * z0 / cam.f;
      var rx = (p[2 * j] - cam.c[0]) / cam.f, ry = (p[2 * j + 1] - cam.c[1]) / cam.f;
      function at(z) { return project([rx * (z0 + z) - x0, ry * (z0 + z) - y0, z], s); }
      var e0 = at(-1.2), e1 = at(1.2);
      ctx.strokeStyle = "#777";
      ctx.lineWidth = 1.2;
      ctx.setLineDash([2, 3]);
      ctx.beginPath(); ctx.moveTo(e0[0], e0[1]); ctx.lineTo(e1[0], e1[1]); ctx.stroke();
      ctx.setLineDash([]);
    }

    function describe() {
      var j = state.moved, m = state.manifest;
      if (j < 0) {
        status.textContent = state.suggest >= 0
          ? "Drag the " + readable(m.joints[state.suggest]) + " (ringed), or any joint, and watch the depths change."
          : "Drag any joint of the 2D pose and watch the depths change.";
        return;
      }
      var du = state.pose[2 * j] - state.start[2 * j], dv = state.pose[2 * j + 1] - state.start[2 * j + 1];
      var d3 = 0;
      for (var c = 0; c < 3; c++) { d3 += Math.pow(state.answer[3 * j + c] - state.ghost[3 * j + c], 2); }
      var dz = 100 * (state.answer[3 * j + 2] - state.ghost[3 * j + 2]);
      var worst = -1, worstD = 0;
      for (var k = 0; k < m.joints.length; k++) {
        if (k === j) { continue; }
        var d = Math.abs(state.answer[3 * k + 2] - state.ghost[3 * k + 2]);
        if (d > worstD) { worstD = d; worst = k; }
      }
      status.textContent = "The " + readable(m.joints[j]) + " moved " + Math.hypot(du, dv).toFixed(0) +
        " px in the image; " + label() + " moved it " + (100 * Math.sqrt(d3)).toFixed(1) + " cm in 3D, " +
        (dz >= 0 ? "+" : "") + dz.toFixed(1) + " cm in depth" +
        (worst >= 0 ? "; of the joints you did not touch, the " + readable(m.joints[worst]) + " changed depth most (" +
          (100 * worstD).toFixed(1) + " cm)." : ".");
    }

    function median(a) {
      if (!a.length) { return NaN; }
      var b = a.slice().sort(function (x, y) { return x - y; });
      return b[Math.floor(b.length / 2)];
    }

    function update() {
      var t0 = performance.now();
      state.answer = state.net.forward(net2input(state.pose));
      var t1 = performance.now();
      draw2d();
      draw3d();
      describe();
      var t2 = performance.now();
      state.times.push(t2 - t0);
      state.forwardTimes.push(t1 - t0);
      if (state.times.length > 200) { state.times.shift(); state.forwardTimes.shift(); }
      if (state.times.length >= 3) {
        timing.textContent = " One update (network and drawing): " + median(state.times.slice(-20)).toFixed(1) + " ms.";
      }
      root.setAttribute("data-updates", String(+(root.getAttribute("data-updates") || 0) + 1));
      return state.answer;
    }

    function setPreset(i) {
      state.preset = i;
      state.start = Float64Array.from([].concat.apply([], state.manifest.presets[i].pixels));
      state.pose = Float64Array.from(state.start);
      state.moved = -1;
      fitView();
      state.ghost = state.net.forward(net2input(state.start));
      update();
    }

    function setModel(name) {
      modelSelect.value = name;
      caption3.textContent = "3D answer: drag to turn it (loading " + name + ")";
      return loadNetwork(base, state.manifest, name).then(function (n) {
        if (modelSelect.value !== name) { return name; }   // the reader picked another one meanwhile
        state.net = n;
        state.model = name;
        caption3.textContent = label() + "'s 3D answer: drag to turn it";
        state.ghost = n.forward(net2input(state.start));
        update();
        return name;
      });
    }

    function nearest(x, y) {
      var s = size(c2), best = -1, bestD = 24;
      for (var k = 0; k < state.manifest.joints.length; k++) {
        var p = toScreen(state.pose[2 * k], state.pose[2 * k + 1], s), d = Math.hypot(p[0] - x, p[1] - y);
        if (d < bestD) { bestD = d; best = k; }
      }
      return best;
    }

    function local(e, canvas) {
      var r = canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    }

    var pending = null, frame = 0;
    function moveTo(xy) {
      var s = size(c2), u = fromScreen(Math.min(Math.max(xy[0], 0), s), Math.min(Math.max(xy[1], 0), s), s);
      state.pose[2 * state.dragging] = u[0];
      state.pose[2 * state.dragging + 1] = u[1];
      state.moved = state.dragging;
      update();
    }
    function flush() {
      frame = 0;
      if (pending && state.dragging >= 0) { moveTo(pending); }
      pending = null;
    }

    c2.addEventListener("touchstart", function (e) {   // a touch on a joint drags it; elsewhere it scrolls
      var t = e.touches[0], r = c2.getBoundingClientRect();
      if (t && nearest(t.clientX - r.left, t.clientY - r.top) >= 0) { e.preventDefault(); }
    }, { passive: false });
    c2.addEventListener("pointerdown", function (e) {
      var j = nearest.apply(null, local(e, c2));
      if (j < 0) { return; }
      state.dragging = j;
      c2.setPointerCapture(e.pointerId);
      c2.style.cursor = "grabbing";
      e.preventDefault();
      draw2d();
    });
    c2.addEventListener("pointermove", function (e) {
      if (state.dragging < 0) {
        if (e.pointerType === "mouse") {
          var h = nearest.apply(null, local(e, c2));
          if (h !== state.hover) { state.hover = h; c2.style.cursor = h >= 0 ? "grab" : "default"; draw2d(); }
        }
        return;
      }
      pending = local(e, c2);
      if (!frame) { frame = requestAnimationFrame(flush); }
    });
    function release(e) {
      if (state.dragging < 0) { return; }
      if (frame) { cancelAnimationFrame(frame); frame = 0; }
      if (e.type === "pointerup") { moveTo(local(e, c2)); }
      pending = null;
      state.dragging = -1;
      c2.style.cursor = "grab";
      draw2d();
      draw3d();
    }
    c2.addEventListener("pointerup", release);
    c2.addEventListener("pointercancel", release);
    c2.addEventListener("pointerleave", function () {
      if (state.hover >= 0 && state.dragging < 0) { state.hover = -1; draw2d(); }
    });

    /* Keyboard: the 2D canvas takes focus; arrows move the chosen joint (Shift: faster), J picks the next. */
    c2.setAttribute("tabindex", "0");
    c2.addEventListener("keydown", function (e) {
      var m = state.manifest, step = e.shiftKey ? 20 : 5, d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0],
        ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
      var j = state.moved >= 0 ? state.moved : state.suggest >= 0 ? state.suggest : 0;
      if (e.key === "j" || e.key === "J") {
        state.moved = (j + 1) % m.joints.length;
        update();
        status.textContent = "Arrow keys move the " + readable(m.joints[state.moved]) + "; J picks the next joint.";
        e.preventDefault();
        return;
      }
      if (!d) { return; }
      state.pose[2 * j] += d[0] * step;
      state.pose[2 * j + 1] += d[1] * step;
      state.moved = j;
      update();
      e.preventDefault();
    });

    c2.addEventListener("focus", function () { if (state.answer) { draw2d(); } });
    c2.addEventListener("blur", function () { if (state.answer) { draw2d(); } });

    var turning = null;
    c3.addEventListener("pointerdown", function (e) {
      turning = { x: e.clientX, y: e.clientY, yaw: state.yaw, pitch: state.pitch };
      c3.setPointerCapture(e.pointerId);
      c3.style.cursor = "grabbing";
    });
    c3.addEventListener("pointermove", function (e) {
      if (!turning) { return; }
      state.yaw = turning.yaw - (e.clientX - turning.x) * 0.01;
      state.pitch = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, turning.pitch + (e.clientY - turning.y) * 0.01));
      draw3d();
    });
    function stopTurning() { turning = null; c3.style.cursor = "grab"; }
    c3.addEventListener("pointerup", stopTurning);
    c3.addEventListener("pointercancel", stopTurning);
    views.addEventListener("click", function (e) {
      var v = e.target.getAttribute && e.target.getAttribute("data-view");
      var angles = { camera: [0, 0], side: [90, 0], top: [0, 90], turned: [-35, 15] }[v];
      if (!angles) { return; }
      state.yaw = angles[0] * Math.PI / 180;
      state.pitch = angles[1] * Math.PI / 180;
      draw3d();
    });
    modelSelect.addEventListener("change", function () {
      setModel(modelSelect.value).catch(function (err) { status.textContent = "Could not load the network: " + err.message; });
    });
    presetSelect.addEventListener("change", function () { setPreset(+presetSelect.value); });
    resetButton.addEventListener("click", function () { setPreset(state.preset); });
    if (typeof ResizeObserver !== "undefined") {
      var ro = new ResizeObserver(function () { if (state.answer) { draw2d(); draw3d(); } });
      ro.observe(c2);
      ro.observe(c3);
    }

    root.semgcnLive = {
      setModel: setModel,
      setPreset: function (i) { presetSelect.value = String(i); setPreset(i); },
      setPose: function (pixels) {   // (16, 2) nested array of reference-camera pixels; returns the answer
        state.pose = Float64Array.from([].concat.apply([], pixels));
        return Array.from(update());
      },
      output: function () { return Array.from(state.answer); },
      pose: function () { return Array.from(state.pose); },
      jointClientPosition: function (j) {
        var r = c2.getBoundingClientRect(), p = toScreen(state.pose[2 * j], state.pose[2 * j + 1], size(c2));
        return { x: r.left + p[0], y: r.top + p[1] };
      },
      timings: function () { return { update: state.times.slice(), forward: state.forwardTimes.slice() }; },
      models: function () { return state.manifest.models.map(function (m) { return m.name; }); },
      presets: function () { return state.manifest.presets.length; }
    };

    loadManifest(base).then(function (manifest) {
      state.manifest = manifest;
      if (manifest.colors) { COLORS = manifest.colors; }   // semgcn.viz.skeleton.POSE_STYLES["gt"]
      manifest.models.forEach(function (m) {
        el("option", { value: m.name }, modelSelect,
          m.label + " (" + (m.bytes / 1e6).toFixed(1) + " MB, " + (m.parameters / 1e6).toFixed(2) + "M weights)");
      });
      manifest.presets.forEach(function (p, i) { el("option", { value: String(i) }, presetSelect, p.label); });
      var wanted = +(root.getAttribute("data-preset") || 0);
      state.preset = wanted >= 0 && wanted < manifest.presets.length ? wanted : 0;
      presetSelect.value = String(state.preset);
      state.start = Float64Array.from([].concat.apply([], manifest.presets[state.preset].pixels));
      state.pose = Float64Array.from(state.start);
      state.suggest = manifest.joints.indexOf(root.getAttribute("data-joint") || "");
      fitView();
      if (manifest.models.map(function (m) { return m.name; }).indexOf(state.model) < 0) {
        state.model = manifest.models[0].name;
      }
      legend.innerHTML = "";
      legend.appendChild(document.createTextNode("Left side"));
      el("span", { "class": "semgcn-live-swatch", style: "background:" + COLORS.left }, legend);
      legend.appendChild(document.createTextNode(", right side"));
      el("span", { "class": "semgcn-live-swatch", style: "background:" + COLORS.right }, legend);
      legend.appendChild(document.createTextNode("; faint dashed: the pose before your drag (2D) and the " +
        "network's answer to it (3D); grey dotted line: the viewing ray of the chosen joint, every 3D point the " +
        "camera sees at its pixel.  The 3D axes are the camera's; it looks slightly down on the person."));
      legend.appendChild(timing);
      ui.hidden = false;   // lay out before the first drawing, so that the canvases have a size
      fallback.hidden = true;
      return setModel(state.model);
    }).then(function () {
      root.setAttribute("data-state", "ready");
    }).catch(function (err) {
      ui.hidden = true;
      fallback.hidden = false;
      root.setAttribute("data-state", "error");
      note.textContent = "The live figure could not start (" + err.message + ")" +
        (location.protocol === "file:" ? ": browsers do not let a page opened as a file read the network's " +
          "weights; serve the book instead, e.g. python -m http.server in _build/html." : ".") +
        " This is a static picture.";
    });
  }

  window.SemgcnLive = { mount: mount };
})();
