r"""A mannequin renderer: RGB crops of a person from a 3D pose (chapter 9, *Image features*).

Human3.6M's videos are licensed and not shipped, so the image-feature
framework of the paper (Sec. 4, Fig. 3) is trained on images rendered from 3D
poses.  The renderer ray-casts a mannequin made of capsules through the
camera's pinhole model:

* **Geometry.**  :data:`BODY_PARTS` lists 14 capsules (segment ``a``-``b``,
  radius ``r``) hung on the 16 joints of the Human3.6M skeleton: legs, arms,
  pelvis, two torso segments, shoulders, neck and a head sphere.  Every pixel
  of the crop shoots a ray :math:`\mathbf x(t) = t\,\mathbf d` from the camera
  centre; its first hit with each capsule is computed in closed form (infinite
  cylinder, kept where the hit projects inside the segment, plus the two end
  spheres) and a z-buffer keeps the nearest primitive.  Occlusion is
  therefore exact: a nearer limb always covers a farther one.
* **Shading.**  Lambert + Blinn-Phong from a key light (random direction per
  image), an ambient term and a head-lamp at the camera whose inverse-square
  fall-off makes nearer parts brighter.  With occlusion and perspective size
  this carries the depth cues that 2D joints lack (which limb is in front).
* **Appearance.**  Left limbs are tinted orange, right limbs blue (on top of
  random shirt / trouser colours), skin colours vary, backgrounds are random
  stripes, gradients and blobs.  All random choices come from a counter-based
  hash of ``(seed, stream, index)`` (:func:`hash_uniform`): an image depends
  only on its pose and its index, never on the batch it is rendered in, and
  is identical on CPU and CUDA.
* **Crop.**  A square box around the person's projected 2D joints, enlarged
  by a fixed relative ``margin`` plus ``pad`` metres (the limbs' thickness
  at the root's depth).  :class:`RenderOutput` returns the box, so 2D joints
  in crop pixels (and back) are known exactly: ``u_crop = (u - box[:2]) * S / side``.

Pixel convention everywhere in :mod:`semgcn.image`: continuous coordinates
in which pixel ``(row i, column j)`` covers ``[j, j+1) x [i, i+1)`` and has
its centre at ``(j + 0.5, i + 0.5)`` (the ``aligned=True`` convention of
:func:`torchvision.ops.roi_align`).  The renderer uses the undistorted
pinhole model ``u = f X / Z + c``; the Human3.6M lens distortion is ignored
in the rendered data (it moves joints by well under a pixel in a crop).

Everything is batched torch code that runs unchanged on CPU and CUDA.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..data.camera import project_pinhole

__all__ = ["BODY_PARTS", "LEFT_COLOUR", "RIGHT_COLOUR", "RenderOutput", "hash_uniform", "crop_boxes",
           "image_to_crop", "crop_to_image", "crop_affine", "sample_appearance", "render_poses", "crop_images",
           "ray_capsule_depth"]

# (name, joint a, joint b, radius in metres, material, side); the neck and head
# are placed along Thorax -> Head by _part_segments.  Materials: "top" (shirt),
# "bottom" (trousers), "skin"; side -1 left, +1 right, 0 centre.
#: The mannequin: 14 capsules on the 16 Human3.6M joints.
BODY_PARTS = (
    ("r_thigh", 1, 2, 0.070, "bottom", 1), ("r_shin", 2, 3, 0.052, "bottom", 1),
    ("l_thigh", 4, 5, 0.070, "bottom", -1), ("l_shin", 5, 6, 0.052, "bottom", -1),
    ("pelvis", 1, 4, 0.085, "bottom", 0), ("abdomen", 0, 7, 0.115, "top", 0),
    ("chest", 7, 8, 0.125, "top", 0), ("shoulders", 13, 10, 0.060, "top", 0),
    ("neck", 8, 9, 0.045, "skin", 0), ("head", 8, 9, 0.100, "skin", 0),
    ("r_upper_arm", 13, 14, 0.046, "top", 1), ("r_forearm", 14, 15, 0.038, "skin", 1),
    ("l_upper_arm", 10, 11, 0.046, "top", -1), ("l_forearm", 11, 12, 0.038, "skin", -1),
)
#: Tints of left and right limbs (RGB in [0, 1]): always different, whatever the clothes.
LEFT_COLOUR = (0.98, 0.55, 0.08)
RIGHT_COLOUR = (0.12, 0.42, 0.98)
_TINT = 0.6  # share of the side colour in a limb's colour
_CHUNK_ELEMENTS = 1 << 22  # rays x capsules per z-buffer chunk (16 MB per float32 temporary)

_M32 = 0xFFFFFFFF


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer hash (xor-shift-multiply) computed in int64 without overflow."""
    x = x & _M32
    x = (((x >> 16) ^ x) * 0x45D9F3B) & _M32
    x = (((x >> 16) ^ x) * 0x45D9F3B) & _M32
    return (x >> 16) ^ x


def hash_uniform(seed: int, stream: int, index: torch.Tensor, count: int) -> torch.Tensor:
    """Counter-based uniform random numbers in ``[0, 1)``: ``(N,) -> (N, count)`` float32.

    Number ``k`` of sample ``index[i]`` is a hash of ``(seed, stream, index[i], k)``,
    so it does not depend on the batch, the device or the order of calls:
    the basis of the renderer's determinism (chapter 9).
    """
    index = torch.as_tensor(index).long()
    key = _mix32(torch.tensor((seed * 0x9E3779B1 + stream * 0x85EBCA77) & _M32, dtype=torch.long))
    key = _mix32(key.to(index.device) ^ (index & _M32))
    key = _mix32(key ^ ((index >> 32) & _M32))
    k = torch.arange(count, device=index.device, dtype=torch.long)
    bits = _mix32(key[:, None] ^ ((k * 0x27D4EB2F + 0x165667B1) & _M32)[None, :])
    return bits.to(torch.float32) / 4294967296.0


# --------------------------------------------------------------------------- crops
def crop_boxes(pixels: torch.Tensor, depth: torch.Tensor, focal: torch.Tensor, margin: float = 0.2,
               pad: float = 0.12) -> torch.Tensor:
    """Square crop boxes around 2D poses: ``(B, K, 2) -> (B, 4)`` ``(x0, y0, x1, y1)`` pixels.

    The box is centred on the joints' 2D bounding box; its side is the box's
    longer side times ``1 + margin``, plus ``2 * pad`` metres seen at the
    root's ``depth`` ``(B,)`` with focal length ``focal`` ``(B,)`` pixels
    (room for the limbs' thickness around the outermost joints).
    """
    lo, hi = pixels.min(dim=1).values, pixels.max(dim=1).values
    centre = (lo + hi) / 2
    side = (hi - lo).max(dim=1).values * (1 + margin) + 2 * pad * focal / depth
    half = side[:, None] / 2
    return torch.cat([centre - half, centre + half], dim=1)


def image_to_crop(u: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Image pixels ``(B, K, 2)`` to crop pixels of ``size x size`` crops ``boxes`` ``(B, 4)``."""
    scale = size / (boxes[:, 2] - boxes[:, 0])
    return (u - boxes[:, None, :2]) * scale[:, None, None]


def crop_to_image(u_crop: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Inverse of :func:`image_to_crop`: crop pixels ``(B, K, 2)`` back to image pixels."""
    scale = (boxes[:, 2] - boxes[:, 0]) / size
    return u_crop * scale[:, None, None] + boxes[:, None, :2]


def crop_affine(boxes: torch.Tensor, size: int) -> torch.Tensor:
    """The ``(B, 2, 3)`` affine matrices ``M`` with ``u_crop = M @ [u, v, 1]``."""
    s = size / (boxes[:, 2] - boxes[:, 0])
    zero = torch.zeros_like(s)
    return torch.stack([torch.stack([s, zero, -s * boxes[:, 0]], -1),
                        torch.stack([zero, s, -s * boxes[:, 1]], -1)], dim=1)


def crop_images(images: torch.Tensor, boxes: torch.Tensor, size: int, sampling_ratio: int = 2) -> torch.Tensor:
    """Cut square crops out of real images, the entry point for real photographs.

    ``images`` ``(B, 3, H, W)`` (one box per image, ``boxes`` ``(B, 4)`` in
    pixels, e.g. from :func:`crop_boxes` on a person detector's or the
    ground truth's 2D joints) -> ``(B, 3, size, size)``, bilinear, same pixel
    convention as the renderer.  Feed the result and ``boxes`` to
    :class:`~semgcn.image.model.ImageSemGCN`.
    """
    from torchvision.ops import roi_align

    rois = torch.cat([torch.arange(len(boxes), device=boxes.device, dtype=boxes.dtype)[:, None], boxes], 1)
    return roi_align(images, rois.to(images.dtype), (size, size), 1.0, sampling_ratio, aligned=True)


# --------------------------------------------------------------------------- appearance
_U = {name: i for i, name in enumerate(
    ["top_r", "top_g", "top_b", "bot_r", "bot_g", "bot_b", "skin", "skin_tone",
     "bg1_r", "bg1_g", "bg1_b", "bg2_r", "bg2_g", "bg2_b", "stripe_freq", "stripe_angle", "stripe_phase",
     "grad_angle", "grad_strength", "blob1_x", "blob1_y", "blob1_s", "blob1_r", "blob1_g", "blob1_b",
     "blob2_x", "blob2_y", "blob2_s", "blob2_r", "blob2_g", "blob2_b",
     "light_az", "light_el", "light_int", "girth", "lamp", "floor"])}


def sample_appearance(index: torch.Tensor, seed: int = 0, stream: int = 0) -> dict:
    """Random but reproducible appearance of each image (clothes, skin, light, background).

    Returns a dict of ``(B, ...)`` float32 tensors on ``index``'s device:
    ``top``, ``bottom``, ``skin`` ``(B, 3)`` colours; ``background`` parameters;
    ``light`` ``(B, 3)`` unit direction towards the key light (camera
    coordinates: x right, y down, z forward); ``light_intensity`` ``(B,)``;
    ``girth`` ``(B,)`` radius scale of every capsule (0.85-1.2).
    """
    u = hash_uniform(seed, stream, index, len(_U))
    g = lambda name: u[:, _U[name]]
    rgb = lambda prefix: torch.stack([g(prefix + "_r"), g(prefix + "_g"), g(prefix + "_b")], -1)
    # Skin: a blend between a light and a dark tone, slightly varied.
    tone = g("skin")[:, None]
    skin = (1 - tone) * torch.tensor([0.96, 0.80, 0.68], device=u.device) + tone * torch.tensor(
        [0.45, 0.30, 0.20], device=u.device)
    skin = skin * (0.9 + 0.2 * g("skin_tone")[:, None])
    az = (g("light_az") - 0.5) * 2.4            # about +-70 degrees left/right
    el = 0.2 + 0.9 * g("light_el")              # from above (y is down)
    light = torch.stack([torch.sin(az) * torch.cos(el), -torch.sin(el), -torch.cos(az) * torch.cos(el)], -1)
    return {
        "top": 0.1 + 0.85 * rgb("top"), "bottom": 0.1 + 0.8 * rgb("bot"), "skin": skin.clamp(0, 1),
        "bg1": 0.15 + 0.8 * rgb("bg1"), "bg2": 0.1 + 0.8 * rgb("bg2"),
        "stripe_freq": 1.0 + 5.0 * g("stripe_freq"), "stripe_angle": math.pi * g("stripe_angle"),
        "stripe_phase": 2 * math.pi * g("stripe_phase"), "grad_angle": 2 * math.pi * g("grad_angle"),
        "grad_strength": 0.5 * g("grad_strength"),
        "blobs": torch.stack([torch.stack([g(f"blob{i}_x"), g(f"blob{i}_y"), 0.1 + 0.3 * g(f"blob{i}_s"),
                                           g(f"blob{i}_r"), g(f"blob{i}_g"), g(f"blob{i}_b")], -1) for i in (1, 2)], 1),
        "floor": 0.45 + 0.4 * g("floor"),
        "light": light, "light_intensity": 0.55 + 0.35 * g("light_int"), "lamp": 0.25 + 0.2 * g("lamp"),
        "girth": 0.85 + 0.35 * g("girth"),
    }


def _background(app: dict, size: int, device) -> torch.Tensor:
    """``(B, 3, S, S)`` backgrounds: two-colour stripes, a gradient, two soft blobs, a floor band."""
    c = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size
    y, x = c[:, None], c[None, :]                                             # (S, 1), (1, S)
    ang = app["stripe_angle"][:, None, None]
    phase = 2 * math.pi * app["stripe_freq"][:, None, None] * (x * torch.cos(ang) + y * torch.sin(ang))
    w = 0.5 + 0.5 * torch.sin(phase + app["stripe_phase"][:, None, None])      # (B, S, S)
    img = app["bg1"][:, :, None, None] * (1 - w[:, None]) + app["bg2"][:, :, None, None] * w[:, None]
    ga = app["grad_angle"][:, None, None]
    grad = (x - 0.5) * torch.cos(ga) + (y - 0.5) * torch.sin(ga)
    img = img * (1 + app["grad_strength"][:, None, None, None] * grad[:, None])
    for i in range(app["blobs"].shape[1]):
        b = app["blobs"][:, i]
        d2 = (x - b[:, 0, None, None]) ** 2 + (y - b[:, 1, None, None]) ** 2
        a = torch.exp(-d2 / (2 * b[:, 2, None, None] ** 2))[:, None]
        img = img * (1 - 0.6 * a) + 0.6 * a * b[:, 3:6, None, None]
    # a darker "floor" below a random horizon
    floor = torch.sigmoid((y - app["floor"][:, None, None]) * 40.0)[:, None]
    img = img * (1 - 0.35 * floor)
    return img.clamp(0, 1)


# --------------------------------------------------------------------------- geometry
def _part_segments(positions: torch.Tensor, girth: torch.Tensor) -> tuple:
    """Capsule end points ``(B, P, 3)`` x 2 and radii ``(B, P)`` of :data:`BODY_PARTS`."""
    a_idx = torch.tensor([p[1] for p in BODY_PARTS], device=positions.device)
    b_idx = torch.tensor([p[2] for p in BODY_PARTS], device=positions.device)
    a, b = positions[:, a_idx].clone(), positions[:, b_idx].clone()
    names = [p[0] for p in BODY_PARTS]
    thorax, head = positions[:, 8], positions[:, 9]
    up = head - thorax
    # neck: lower 40 % of Thorax -> Head; head: a sphere (short capsule) 62 % of the way up
    i = names.index("neck")
    a[:, i], b[:, i] = thorax, thorax + 0.4 * up
    i = names.index("head")
    centre = thorax + 0.62 * up
    axis = up / up.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    a[:, i], b[:, i] = centre - 0.015 * axis, centre + 0.015 * axis
    r = torch.tensor([p[3] for p in BODY_PARTS], device=positions.device, dtype=positions.dtype)
    return a, b, r[None] * girth[:, None]


def _capsule_hits(ad, bd, baba, baoa, oaoa, bb, r2):
    """First-hit distances from dot products: ``ad = d.a``, ``bd = d.b`` per ray
    and capsule; the other arguments are per-capsule constants (``|b-a|^2``,
    ``-(b-a).a``, ``|a|^2``, ``|b|^2``, ``r^2``), broadcast."""
    inf = torch.full((), float("inf"), device=ad.device, dtype=ad.dtype)
    bard = bd - ad                                   # (b - a) . d
    alpha = baba - bard * bard
    beta = -baba * ad - baoa * bard
    gamma = baba * oaoa - baoa * baoa - r2 * baba
    h = beta * beta - alpha * gamma
    ok = (h >= 0) & (alpha > 1e-12 * baba)
    t_body = (-beta - h.clamp_min(0).sqrt()) / alpha.clamp_min(1e-20)
    y = baoa + t_body * bard
    t_body = torch.where(ok & (y > 0) & (y < baba) & (t_body > 0), t_body, inf)
    disc_a = ad * ad - oaoa + r2
    t_a = ad - disc_a.clamp_min(0).sqrt()
    t_a = torch.where((disc_a >= 0) & (t_a > 0), t_a, inf)
    disc_b = bd * bd - bb + r2
    t_b = bd - disc_b.clamp_min(0).sqrt()
    t_b = torch.where((disc_b >= 0) & (t_b > 0), t_b, inf)
    return torch.minimum(t_body, torch.minimum(t_a, t_b))


def _capsule_constants(a: torch.Tensor, b: torch.Tensor, r: torch.Tensor) -> tuple:
    ba = b - a
    return (ba * ba).sum(-1), -(ba * a).sum(-1), (a * a).sum(-1), (b * b).sum(-1), r * r


def ray_capsule_depth(d: torch.Tensor, a: torch.Tensor, b: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    r"""Distance along unit rays from the origin to their first hit with capsules.

    ``d`` ``(..., 3)`` unit ray directions; ``a``, ``b`` ``(..., 3)`` segment
    ends; ``r`` ``(...)`` radii (all broadcast).  Returns ``t`` ``(...)``
    (``inf`` where the ray misses or the hit is behind the camera).

    The capsule is the union of the finite cylinder and two spheres, so its
    first hit is the smallest of: the infinite cylinder's entry
    :math:`t = (-\beta - \sqrt{\beta^2 - \alpha\gamma})/\alpha` when that point
    projects inside the segment, and each sphere's entry
    :math:`t = \mathbf d\cdot\mathbf c - \sqrt{(\mathbf d\cdot\mathbf c)^2 - |\mathbf c|^2 + r^2}`.
    Everything depends on the ray only through ``d.a`` and ``d.b``: the
    renderer gets those for all pixels and capsules from two batched matrix
    products.
    """
    return _capsule_hits((d * a).sum(-1), (d * b).sum(-1), *_capsule_constants(a, b, r))


@dataclass
class RenderOutput:
    """What :func:`render_poses` returns (all on the poses' device).

    Attributes:
        images: ``(B, 3, S, S)`` float32 RGB in ``[0, 1]``.
        boxes: ``(B, 4)`` crop boxes ``(x0, y0, x1, y1)`` in image pixels (square).
        joints_image: ``(B, K, 2)`` pinhole projections of the joints, image pixels.
        joints_crop: ``(B, K, 2)`` the same in crop pixels.
        depth: ``(B, S, S)`` distance along each pixel's ray (metres), ``inf`` on the background
            (``None`` for images served from a cache).
        part: ``(B, S, S)`` long, index into :data:`BODY_PARTS` of the visible part, ``-1`` on the
            background (``None`` for images served from a cache).
    """

    images: torch.Tensor
    boxes: torch.Tensor
    joints_image: torch.Tensor
    joints_crop: torch.Tensor
    depth: torch.Tensor | None = None
    part: torch.Tensor | None = None

    @property
    def size(self) -> int:
        return self.images.shape[-1]

    def affine(self) -> torch.Tensor:
        """``(B, 2, 3)``: crop pixels ``= M @ [u, v, 1]`` (see :func:`crop_affine`)."""
        return crop_affine(self.boxes, self.size)


@contextlib.contextmanager
def _float32_matmul(device: torch.device):
    """Full float32 matrix products (no autocast, no TF32) for the ray tests:
    the discriminants lose their precision in bfloat16 or TF32."""
    saved = torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        with torch.autocast(device.type, enabled=False):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved


def _intrinsics(intrinsics: torch.Tensor, n: int, like: torch.Tensor) -> torch.Tensor:
    intr = torch.as_tensor(intrinsics, dtype=like.dtype, device=like.device)
    if intr.shape[-1] == 4:  # fx, fy, cx, cy only: no distortion, any image size
        intr = torch.cat([intr, intr.new_zeros(intr.shape[:-1] + (5,)), intr.new_ones(intr.shape[:-1] + (2,))], -1)
    if intr.shape[-1] != 11 or intr.dim() not in (1, 2) or (intr.dim() == 2 and intr.shape[0] != n):
        raise ValueError(f"intrinsics must be (11,), (B, 11) [fx, fy, cx, cy, k1, k2, k3, p1, p2, w, h] "
                         f"or (B, 4) [fx, fy, cx, cy] for B = {n}, got {tuple(intr.shape)}")
    return intr.expand(n, 11) if intr.dim() == 1 else intr


def render_poses(positions: torch.Tensor, intrinsics: torch.Tensor, size: int = 64, index: torch.Tensor | None = None,
                 seed: int = 0, stream: int = 0, margin: float = 0.2, pad: float = 0.12, supersample: int = 1,
                 boxes: torch.Tensor | None = None, quantize: bool = True) -> RenderOutput:
    r"""Render mannequin crops of 3D poses (chapter 9).

    Args:
        positions: ``(B, 16, 3)`` joints in **camera** coordinates, metres
            (x right, y down, z forward, all ``Z > 0``).
        intrinsics: ``(B, 11)`` or ``(11,)`` Human3.6M intrinsics (only
            ``fx, fy, cx, cy`` are used; the pinhole model is rendered).
        size: crop side ``S`` in pixels (64 on CPU, 128-256 on a GPU).
        index: ``(B,)`` sample indices that, with ``seed`` and ``stream``,
            fix each image's appearance (default ``0..B-1``).
        margin, pad: crop enlargement (see :func:`crop_boxes`).
        supersample: render at ``supersample * S`` and average down (anti-aliasing).
        boxes: crop boxes ``(B, 4)`` to use instead of :func:`crop_boxes`.
        quantize: round to 8-bit levels (``k / 255``), like a real image; an
            image cached as ``uint8`` is then exactly the rendered one.

    Returns:
        :class:`RenderOutput` (images, boxes, joints in image and crop pixels,
        depth and part maps at the final resolution, nearest sample when
        supersampling).

    Cost: one ray per pixel and capsule, about 30 floating-point operations
    each on ``(B, S^2, P)`` tensors (in batch chunks of bounded memory), then
    shading of the visible part only.
    """
    if positions.dim() != 3 or positions.shape[-1] != 3 or positions.shape[1] != 16:
        raise ValueError(f"render_poses expects (B, 16, 3) camera-frame joints, got {tuple(positions.shape)}")
    if supersample < 1 or size < 4:
        raise ValueError(f"need size >= 4 and supersample >= 1, got {size}, {supersample}")
    positions = positions.float()
    bsz, device = positions.shape[0], positions.device
    if bool((positions[..., 2] <= 0.05).any()):
        raise ValueError("render_poses: every joint must be in front of the camera (Z > 0.05 m)")
    intr = _intrinsics(intrinsics, bsz, positions)
    fx, fy, cx, cy = intr[:, 0], intr[:, 1], intr[:, 2], intr[:, 3]
    joints = project_pinhole(positions, intr[:, None, :])
    if boxes is None:
        boxes = crop_boxes(joints, positions[:, 0, 2], (fx + fy) / 2, margin, pad)
    boxes = boxes.float()
    index = torch.arange(bsz, device=device) if index is None else torch.as_tensor(index, device=device)
    app = sample_appearance(index, seed, stream)

    # Rays of every (super)pixel: crop pixel -> image pixel -> camera ray.
    hi = size * supersample
    c = (torch.arange(hi, device=device, dtype=torch.float32) + 0.5) / hi                   # (S,)
    side = (boxes[:, 2] - boxes[:, 0])[:, None]
    u = boxes[:, 0, None] + c[None] * side                                                   # (B, S) columns
    v = boxes[:, 1, None] + c[None] * side                                                   # (B, S) rows
    dx = ((u - cx[:, None]) / fx[:, None])[:, None, :].expand(bsz, hi, hi)
    dy = ((v - cy[:, None]) / fy[:, None])[:, :, None].expand(bsz, hi, hi)
    d = torch.stack([dx, dy, torch.ones_like(dx)], -1).reshape(bsz, hi * hi, 3)
    d = d / d.norm(dim=-1, keepdim=True)

    # z-buffer: every ray against every capsule, (B, S^2, P) at once, in batch
    # chunks that bound the memory; d.a and d.b come from two batched matmuls.
    a, b, r = _part_segments(positions, app["girth"])
    consts = [c[:, None, :] for c in _capsule_constants(a, b, r)]                             # (B, 1, P)
    best = torch.empty(bsz, hi * hi, device=device)
    part = torch.empty(bsz, hi * hi, device=device, dtype=torch.long)
    step = max(1, _CHUNK_ELEMENTS // (hi * hi * len(BODY_PARTS)))
    with _float32_matmul(device):
        for i in range(0, bsz, step):
            sl = slice(i, i + step)
            t = _capsule_hits(torch.bmm(d[sl], a[sl].transpose(1, 2)), torch.bmm(d[sl], b[sl].transpose(1, 2)),
                              *(c[sl] for c in consts))
            best[sl], part[sl] = t.min(dim=-1)
    part = torch.where(torch.isfinite(best), part, torch.full_like(part, -1))

    # Shade the visible capsule: normal = direction from the closest point of its axis.
    hit = part >= 0
    pid = part.clamp_min(0)
    gather = lambda x: torch.gather(x, 1, pid[..., None].expand(-1, -1, x.shape[-1]))
    pa, pb = gather(a), gather(b)
    point = d * torch.where(hit, best, torch.zeros_like(best))[..., None]
    ba = pb - pa
    s = (((point - pa) * ba).sum(-1) / (ba * ba).sum(-1).clamp_min(1e-12)).clamp(0, 1)
    normal = point - (pa + s[..., None] * ba)
    normal = normal / normal.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    light = app["light"][:, None, :]
    lambert = (normal * light).sum(-1).clamp_min(0)
    half = light - d
    half = half / half.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    spec = (normal * half).sum(-1).clamp_min(0) ** 24
    facing = (-(normal * d).sum(-1)).clamp_min(0)                                          # head-lamp
    lamp = app["lamp"][:, None] * facing * (positions[:, 0, 2, None] / best.clamp_min(0.1)) ** 2
    materials = torch.stack([app["top"], app["bottom"], app["skin"]], 1)                   # (B, 3, 3)
    mat_idx = torch.tensor([["top", "bottom", "skin"].index(p[4]) for p in BODY_PARTS], device=device)
    sides = torch.tensor([p[5] for p in BODY_PARTS], device=device, dtype=torch.float32)
    base = materials[:, mat_idx]                                                            # (B, P, 3)
    tint = torch.where(sides[:, None] < 0, torch.tensor(LEFT_COLOUR, device=device),
                       torch.tensor(RIGHT_COLOUR, device=device))
    base = torch.where(sides[None, :, None] != 0, (1 - _TINT) * base + _TINT * tint[None], base)
    albedo = gather(base)
    shade = 0.28 + app["light_intensity"][:, None] * lambert + lamp
    colour = (albedo * shade[..., None] + 0.25 * spec[..., None]).clamp(0, 1)

    bg = _background(app, hi, device).permute(0, 2, 3, 1).reshape(bsz, hi * hi, 3)
    img = torch.where(hit[..., None], colour, bg).reshape(bsz, hi, hi, 3).permute(0, 3, 1, 2)
    best, part = best.reshape(bsz, hi, hi), part.reshape(bsz, hi, hi)
    if supersample > 1:
        img = F.avg_pool2d(img, supersample)
        mid = supersample // 2
        best, part = best[:, mid::supersample, mid::supersample], part[:, mid::supersample, mid::supersample]
    if quantize:
        img = torch.round(img * 255) / 255
    return RenderOutput(images=img.contiguous(), boxes=boxes, joints_image=joints,
                        joints_crop=image_to_crop(joints, boxes, size), depth=best, part=part)
