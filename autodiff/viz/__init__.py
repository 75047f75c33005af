"""Pictures of computation graphs: ``draw_graph`` and ``render``."""

from .graph import GraphvizNotFound, draw_graph, op_label, render

__all__ = ["GraphvizNotFound", "draw_graph", "op_label", "render"]
