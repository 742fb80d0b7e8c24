"""semgcn: Semantic Graph Convolutional Networks for 3D human pose regression
(Zhao et al., CVPR 2019), the package behind the semgcn-book textbook.

Five lines::

    from semgcn.data import load_pose_data
    from semgcn.train import TrainConfig, train
    data = load_pose_data()                      # synthetic default; load_pose_data(h36m=PATH) for Human3.6M
    record = train(TrainConfig(model="semgcn", epochs=5), data, "runs/demo")
    print(record["test"]["mpjpe"])               # Protocol #1, mm
"""
__version__ = "0.1.0"


def __getattr__(name):
    # Imported on first use, so that `python -m semgcn --help` does not wait for PyTorch.
    if name == "H36M_SKELETON":
        from .graph import H36M_SKELETON
        return H36M_SKELETON
    if name in ("lift", "Lifter"):   # lifting your own 2D keypoints (semgcn.lifting, chapter 12)
        from . import lifting
        return getattr(lifting, name)
    raise AttributeError(f"module 'semgcn' has no attribute {name!r}")
