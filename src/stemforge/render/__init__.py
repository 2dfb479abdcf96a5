"""The streaming render engine and its outputs (stems, mix, render.json)."""

from stemforge.render.engine import (
    DEFAULT_BLOCK_FRAMES,
    TAIL_THRESHOLD_DBFS,
    RenderBlock,
    RenderPlan,
    RenderStats,
    TrackPlan,
    plan_render,
    render_blocks,
)
from stemforge.render.mixer import ReturnResidual
from stemforge.render.output import (
    RENDER_SCHEMA_VERSION,
    TAP_POINT,
    RenderResult,
    output_paths,
    render_session,
    safe_filename,
)
from stemforge.render.routing import ReturnPlan, Routing

__all__ = [
    "DEFAULT_BLOCK_FRAMES",
    "RENDER_SCHEMA_VERSION",
    "TAIL_THRESHOLD_DBFS",
    "TAP_POINT",
    "RenderBlock",
    "RenderPlan",
    "RenderResult",
    "RenderStats",
    "ReturnPlan",
    "ReturnResidual",
    "Routing",
    "TrackPlan",
    "output_paths",
    "plan_render",
    "render_blocks",
    "render_session",
    "safe_filename",
]
