/* semgcn_net.js: the forward pass of the book's shipped lifting networks (SemGCN, SemGCN without
 * non-local blocks, ResGCN, the FC baseline), written for these four networks only.
 *
 * The network comes as data (semgcn.viz.live_model.export_network): a list of layer operations and a
 * binary file of float16 tensors, exactly the shipped weights.  Weights are decoded to Float32Array
 * (float16 -> float32 is exact) and activations are kept in Float64Array, so that the answer agrees with
 * PyTorch's float32 one to about 1e-6 m.  An activation is a (rows x cols) row-major matrix: 16 joints x
 * channels for the graph networks, 1 x features for the FC baseline.
 *
 * Works in a browser (window.SemgcnNet) and in node (module.exports), where the package's tests run it.
 */
(function (root) {
  "use strict";

  function halfToFloat(h) {
    var sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    if (exp === 0) { return sign * frac * Math.pow(2, -24); }
    if (exp === 31) { return frac ? NaN : sign * Infinity; }
    return sign * (1 + frac / 1024) * Math.pow(2, exp - 15);
  }

  /* The tensors of a network: Float32Array views of its .bin file, in the manifest's table order. */
  function decodeTensors(buffer, table) {
    var lookup = new Float32Array(65536);
    for (var i = 0; i < 65536; i++) { lookup[i] = halfToFloat(i); }
    return table.map(function (t) {
      var n = t.shape.reduce(function (a, b) { return a * b; }, 1);
      if (t.dtype === "f32") { return new Float32Array(buffer.slice(t.offset, t.offset + 4 * n)); }
      if (t.dtype !== "f16") { throw new Error("semgcn_net: unknown tensor type " + t.dtype); }
      var raw = new Uint16Array(buffer.slice(t.offset, t.offset + 2 * n));
      var out = new Float32Array(n);
      for (var k = 0; k < n; k++) { out[k] = lookup[raw[k]]; }
      return out;
    });
  }

  /* Pixels of the reference camera -> network input: u_n = 2u/w - (1, h/w), as
   * semgcn.data.camera.normalize_screen_coordinates. */
  function normalizeScreen(pixels, w, h) {
    var out = new Float64Array(pixels.length);
    for (var j = 0; j < pixels.length; j += 2) {
      out[j] = pixels[j] / w * 2.0 - 1.0;
      out[j + 1] = pixels[j + 1] / w * 2.0 - h / w;
    }
    return out;
  }

  /* (rows x cols) -> (cols x rows), so that every output channel's weights are contiguous. */
  function transpose(w, rows, cols) {
    var t = new Float32Array(rows * cols);
    for (var r = 0; r < rows; r++) { for (var c = 0; c < cols; c++) { t[c * rows + r] = w[r * cols + c]; } }
    return t;
  }

  /* y = x W^T + b with W stored (out x in), as torch.nn.Linear. */
  function linear(x, rows, nin, w, nout, b) {
    var y = new Float64Array(rows * nout);
    for (var r = 0; r < rows; r++) {
      var xo = r * nin;
      for (var o = 0; o < nout; o++) {
        var wo = o * nin, s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
        for (; i + 3 < nin; i += 4) {   // four partial sums: independent additions run in parallel
          s0 += x[xo + i] * w[wo + i];
          s1 += x[xo + i + 1] * w[wo + i + 1];
          s2 += x[xo + i + 2] * w[wo + i + 2];
          s3 += x[xo + i + 3] * w[wo + i + 3];
        }
        for (; i < nin; i++) { s0 += x[xo + i] * w[wo + i]; }
        y[r * nout + o] = (s0 + s1) + (s2 + s3) + (b ? b[o] : 0);
      }
    }
    return y;
  }

  /* Eq. 2: for every joint i, sum_j softmax_i(M)_ij x_j W[i==j] + b.  The softmax runs over i's
   * neighbours (the edges rows/cols), so non-neighbours weigh exactly zero. */
  function prepareSemGConv(op, T, joints) {
    var logits = T[op.logits], a = new Float64Array(joints * joints);
    for (var i = 0; i < joints; i++) {
      var m = -Infinity, e, s = 0;
      for (e = 0; e < op.rows.length; e++) { if (op.rows[e] === i) { m = Math.max(m, logits[e]); } }
      for (e = 0; e < op.rows.length; e++) {
        if (op.rows[e] === i) { var v = Math.exp(logits[e] - m); a[i * joints + op.cols[e]] = v; s += v; }
      }
      for (var j = 0; j < joints; j++) { a[i * joints + j] /= s; }
    }
    var nin = op["in"], nout = op.out, w = T[op.weight];
    return { a: a, w0: transpose(w.subarray(0, nin * nout), nin, nout),
             w1: transpose(w.subarray(nin * nout, 2 * nin * nout), nin, nout), b: T[op.bias] };
  }

  function semgconv(x, rows, op, p) {
    var nin = op["in"], nout = op.out;
    var nb = new Float64Array(rows * nin), self = new Float64Array(rows * nin);
    for (var i = 0; i < rows; i++) {
      for (var j = 0; j < rows; j++) {
        var aij = p.a[i * rows + j];
        if (aij === 0) { continue; }
        var dst = i === j ? self : nb;
        for (var c = 0; c < nin; c++) { dst[i * nin + c] += aij * x[j * nin + c]; }
      }
    }
    var y = linear(nb, rows, nin, p.w1, nout, p.b), ys = linear(self, rows, nin, p.w0, nout, null);
    for (var k = 0; k < y.length; k++) { y[k] += ys[k]; }
    return y;
  }

  /* Eq. 1: (A_norm x) W + b, with the normalised adjacency stored by the package (p.wt: W transposed). */
  function gconv(x, rows, op, T, p) {
    var nin = op["in"], adj = T[op.adj], z = new Float64Array(rows * nin);
    for (var i = 0; i < rows; i++) {
      for (var j = 0; j < rows; j++) {
        var aij = adj[i * rows + j];
        if (aij === 0) { continue; }
        for (var c = 0; c < nin; c++) { z[i * nin + c] += aij * x[j * nin + c]; }
      }
    }
    return linear(z, rows, nin, p.wt, op.out, T[op.bias]);
  }

  function batchNorm(x, rows, cols, weight, bias, mean, variance, eps) {
    for (var c = 0; c < cols; c++) {
      var scale = weight[c] / Math.sqrt(variance[c] + eps), shift = bias[c] - mean[c] * scale;
      for (var r = 0; r < rows; r++) { x[r * cols + c] = x[r * cols + c] * scale + shift; }
    }
    return x;
  }

  /* Eq. 4, concatenation form: x + BN(W_out (f / G) g), f_ij = ReLU(w_theta . theta_i + w_phi . phi_j),
   * phi and g max-pooled over the joints of each group (groups[p][k]: member p of group k). */
  function nonlocal(x, rows, op, T) {
    var c = op.channels, ci = op.inter, groups = op.groups, G = groups[0].length;
    var theta = linear(x, rows, c, T[op.theta[0]], ci, T[op.theta[1]]);
    var phi = linear(x, rows, c, T[op.phi[0]], ci, T[op.phi[1]]);
    var g = linear(x, rows, c, T[op.g[0]], ci, T[op.g[1]]);
    var phiP = new Float64Array(G * ci).fill(-Infinity), gP = new Float64Array(G * ci).fill(-Infinity);
    for (var k = 0; k < G; k++) {
      for (var p = 0; p < groups.length; p++) {
        var j = groups[p][k];
        for (var d = 0; d < ci; d++) {
          phiP[k * ci + d] = Math.max(phiP[k * ci + d], phi[j * ci + d]);
          gP[k * ci + d] = Math.max(gP[k * ci + d], g[j * ci + d]);
        }
      }
    }
    var wc = T[op.concat], st = new Float64Array(rows), sp = new Float64Array(G), i, dd;
    for (i = 0; i < rows; i++) { for (dd = 0; dd < ci; dd++) { st[i] += theta[i * ci + dd] * wc[dd]; } }
    for (k = 0; k < G; k++) { for (dd = 0; dd < ci; dd++) { sp[k] += phiP[k * ci + dd] * wc[ci + dd]; } }
    var y = new Float64Array(rows * ci);
    for (i = 0; i < rows; i++) {
      for (k = 0; k < G; k++) {
        var f = Math.max(st[i] + sp[k], 0) / G;
        if (f === 0) { continue; }
        for (dd = 0; dd < ci; dd++) { y[i * ci + dd] += f * gP[k * ci + dd]; }
      }
    }
    var z = linear(y, rows, ci, T[op.out[0]], c, T[op.out[1]]);
    batchNorm(z, rows, c, T[op.bn[0]], T[op.bn[1]], T[op.bn[2]], T[op.bn[3]], op.bn[4]);
    for (i = 0; i < z.length; i++) { z[i] += x[i]; }
    return z;
  }

  /* A network ready to run: new Network(manifestEntry, arrayBufferOfItsBin, numJoints). */
  function Network(spec, buffer, joints) {
    this.spec = spec;
    this.joints = joints || 16;
    this.T = decodeTensors(buffer, spec.tensors);
    var self = this;
    this.prepared = spec.ops.map(function (op) {
      if (op.op === "semgconv") { return prepareSemGConv(op, self.T, self.joints); }
      if (op.op === "gconv") { return { wt: transpose(self.T[op.weight], op["in"], op.out) }; }
      return null;
    });
  }

  /* Network input (Float64Array of joints x 2, normalised) -> root-relative 3D joints (joints x 3, metres). */
  Network.prototype.forward = function (input) {
    var x = Float64Array.from(input), rows = this.joints, cols = 2, stack = [], T = this.T;
    for (var n = 0; n < this.spec.ops.length; n++) {
      var op = this.spec.ops[n];
      switch (op.op) {
        case "semgconv": x = semgconv(x, rows, op, this.prepared[n]); cols = op.out; break;
        case "gconv": x = gconv(x, rows, op, T, this.prepared[n]); cols = op.out; break;
        case "bn": batchNorm(x, rows, cols, T[op.weight], T[op.bias], T[op.mean], T[op["var"]], op.eps); break;
        case "relu": for (var i = 0; i < x.length; i++) { if (x[i] < 0) { x[i] = 0; } } break;
        case "push": stack.push(Float64Array.from(x)); break;
        case "add":
          var skip = stack.pop();
          for (var k = 0; k < x.length; k++) { x[k] += skip[k]; }
          break;
        case "nonlocal": x = nonlocal(x, rows, op, T); break;
        case "flatten": cols = rows * cols; rows = 1; break;
        case "linear": x = linear(x, rows, op["in"], T[op.weight], op.out, T[op.bias]); cols = op.out; break;
        case "joints":
          var out = new Float64Array(op.joints * op.channels);
          op.keep.forEach(function (joint, m) {
            for (var d = 0; d < op.channels; d++) { out[joint * op.channels + d] = x[m * op.channels + d]; }
          });
          x = out; rows = op.joints; cols = op.channels;
          break;
        default: throw new Error("semgcn_net: unknown operation " + op.op);
      }
    }
    if (cols !== 3 || rows !== this.joints) { throw new Error("semgcn_net: the network did not end in joints x 3"); }
    var r0 = x[0], r1 = x[1], r2 = x[2];
    for (var j = 0; j < rows; j++) { x[3 * j] -= r0; x[3 * j + 1] -= r1; x[3 * j + 2] -= r2; }
    return x;
  };

  var api = { Network: Network, normalizeScreen: normalizeScreen, halfToFloat: halfToFloat };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; } else { root.SemgcnNet = api; }
})(typeof window !== "undefined" ? window : this);
