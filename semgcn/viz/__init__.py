"""Figures and explorers for the book: plotly 3D/2D skeletons and camera rigs
(:mod:`~semgcn.viz.skeleton`), matplotlib curves, tables and heatmaps
(:mod:`~semgcn.viz.figures`), ipywidgets explorers with static fallbacks
(:mod:`~semgcn.viz.widgets`) and the plotly renderer the built book needs
(:mod:`~semgcn.viz.book`).

Every chapter starts with ``semgcn.viz.set_plotly_renderer()``.  plotly,
matplotlib and ipywidgets are imported only when a function needs them
(``pip install semgcn[viz]``); importing this module without plotly or
matplotlib says which extra to install.
"""
from .._extras import require

require("plotly", "matplotlib", feature="semgcn.viz")

from .book import figure_html, set_plotly_renderer  # noqa: E402
from .chapters_b import image_framework_svg, plot_noise_curves, plot_seed_spread, semgcn_architecture_svg
from .figures import (curves_from_history, draw_pose_2d, draw_pose_3d, per_action_table, plot_matrix_heatmap,
                      plot_per_action, plot_pose_grid, plot_training_curves)
from .layers import (affinity_figure, affinity_heatmap, edge_weight_figure, receptive_field_figure,
                     record_provenance, semantic_kernels_diagram)
from .skeleton import (POSE_STYLES, as_numpy, bone_sides, camera_frustum, plot_camera_rig, plot_pose_2d,
                       plot_pose_3d, plot_pose_3d_slider, pose2d_traces, pose3d_traces, quaternion_to_matrix,
                       to_display)
from .widgets import (affinity_widget, depth_ambiguity_widget, edge_weight_widget, in_live_kernel, left_right_widget,
                      move_along_ray, pose_explorer, project_pinhole, receptive_field_widget)

__all__ = [
    "set_plotly_renderer", "figure_html",
    "plot_pose_3d", "plot_pose_3d_slider", "plot_pose_2d", "plot_camera_rig", "pose3d_traces", "pose2d_traces",
    "camera_frustum", "quaternion_to_matrix", "to_display", "bone_sides", "as_numpy", "POSE_STYLES",
    "plot_training_curves", "curves_from_history", "plot_per_action", "per_action_table",
    "plot_matrix_heatmap", "draw_pose_2d", "draw_pose_3d", "plot_pose_grid",
    "receptive_field_figure", "semantic_kernels_diagram", "edge_weight_figure", "affinity_heatmap",
    "affinity_figure", "record_provenance",
    "pose_explorer", "depth_ambiguity_widget", "receptive_field_widget", "left_right_widget", "affinity_widget",
    "edge_weight_widget", "move_along_ray",
    "project_pinhole", "in_live_kernel",
    "semgcn_architecture_svg", "image_framework_svg", "plot_seed_spread", "plot_noise_curves",
]
