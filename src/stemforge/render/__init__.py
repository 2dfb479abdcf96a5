"""The streaming render engine and its outputs (stems, mix, render.json)."""

from stemforge.render.engine import DEFAULT_BLOCK_FRAMES, RenderBlock, RenderPlan, TrackPlan, plan_render, render_blocks
from stemforge.render.output import RENDER_SCHEMA_VERSION, TAP_POINT, RenderResult, output_paths, render_session, safe_filename

__all__ = [
    "DEFAULT_BLOCK_FRAMES",
    "RENDER_SCHEMA_VERSION",
    "TAP_POINT",
    "RenderBlock",
    "RenderPlan",
    "RenderResult",
    "TrackPlan",
    "output_paths",
    "plan_render",
    "render_blocks",
    "render_session",
    "safe_filename",
]
