"""A read-only graph view: ``@xyflow/react`` (React Flow) from the npm registry, wrapped for Reflex.

Reflex installs the pinned package into the frontend on the next build; its stylesheet is
imported from the package itself. Nodes and edges come from
:func:`dashboard.workflow_graph.graph_of`.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

XYFLOW = "@xyflow/react@12.12.1"


class ReactFlow(rx.Component):
    """The ``ReactFlow`` canvas (a named export)."""

    library = XYFLOW
    tag = "ReactFlow"

    nodes: rx.Var[list[dict[str, Any]]]
    edges: rx.Var[list[dict[str, Any]]]
    fit_view: rx.Var[bool]
    fit_view_options: rx.Var[dict[str, Any]]
    nodes_draggable: rx.Var[bool]
    nodes_connectable: rx.Var[bool]
    elements_selectable: rx.Var[bool]
    pan_on_drag: rx.Var[bool]
    zoom_on_scroll: rx.Var[bool]
    prevent_scrolling: rx.Var[bool]
    min_zoom: rx.Var[float]
    max_zoom: rx.Var[float]
    pro_options: rx.Var[dict[str, Any]]

    def add_imports(self) -> dict[str, Any]:
        """React Flow's own stylesheet, from the installed package."""
        return {"": "@xyflow/react/dist/style.css"}


class Background(rx.Component):
    """The dotted background of the canvas."""

    library = XYFLOW
    tag = "Background"

    gap: rx.Var[int]
    size: rx.Var[float]
    color: rx.Var[str]


class Controls(rx.Component):
    """Zoom and fit buttons."""

    library = XYFLOW
    tag = "Controls"

    show_interactive: rx.Var[bool]


def flow_graph(
    nodes: Any, edges: Any, *, key: Any = None, element_id: str = "workflow-graph", height: str = "h-72"
) -> rx.Component:
    """The graph of a workflow in a box of the given height; read-only, zoomable."""
    return rx.el.div(
        ReactFlow.create(
            Background.create(gap=18, size=1, color="#cbd5e1"),
            Controls.create(show_interactive=False),
            nodes=nodes,
            edges=edges,
            fit_view=True,
            fit_view_options={"padding": 0.2},
            nodes_draggable=False,
            nodes_connectable=False,
            elements_selectable=False,
            zoom_on_scroll=False,
            prevent_scrolling=False,
            min_zoom=0.3,
            max_zoom=1.5,
            key=key,
        ),
        id=element_id,
        # React Flow's attribution link is #999 on white (2.8:1); slate-700 on white reads at 10:1.
        style={
            "& .react-flow__attribution": {"background": "rgba(255, 255, 255, 0.9)"},
            "& .react-flow__attribution a": {"color": "#334155"},
        },
        class_name=f"{height} w-full overflow-hidden rounded-lg border border-slate-200 bg-slate-50",
    )
