"""Pictures of computation graphs: ``draw_graph`` and ``render``; ``step_page``, a page
that plays the forward and backward pass node by node."""

from .graph import GraphvizNotFound, RenderError, draw_graph, op_label, render
from .step import Step, StepPage, step_page, steps_of

__all__ = [
    "GraphvizNotFound",
    "RenderError",
    "Step",
    "StepPage",
    "draw_graph",
    "op_label",
    "render",
    "step_page",
    "steps_of",
]
