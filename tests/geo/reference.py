"""networkx as the reference shortest-path engine for the routing tests."""

from __future__ import annotations

import math

import networkx as nx

from signalfire.geo.roads import RoadGraph, Snap


def road_network(graph: RoadGraph, closed: frozenset[int] = frozenset()) -> nx.DiGraph:
    """The road graph as a networkx DiGraph weighted by seconds (parallel: fastest)."""
    net = nx.DiGraph()
    net.add_nodes_from(range(graph.node_count))
    for e in range(graph.edge_count):
        if e in closed:
            continue
        a, b, w = int(graph.u[e]), int(graph.v[e]), float(graph.travel_s[e])
        if not net.has_edge(a, b) or net[a][b]["weight"] > w:
            net.add_edge(a, b, weight=w)
    return net


def point_to_point(
    graph: RoadGraph, origin: Snap, target: Snap, closed: frozenset[int] = frozenset()
) -> float:
    """Seconds from ``origin`` to ``target``: both points are spliced into the network
    as nodes on their segments, then networkx finds the shortest path."""
    net = road_network(graph, closed)
    reverse = graph.reverse_edge()
    for name, snap in (("origin", origin), ("target", target)):
        net.add_node(name)
        e, t = snap.edge, snap.fraction
        a, b = int(graph.u[e]), int(graph.v[e])
        if e not in closed:
            net.add_edge(a, name, weight=t * graph.travel_s[e])
            net.add_edge(name, b, weight=(1 - t) * graph.travel_s[e])
        back = int(reverse[e])
        if back >= 0 and back not in closed:
            net.add_edge(b, name, weight=(1 - t) * graph.travel_s[back])
            net.add_edge(name, a, weight=t * graph.travel_s[back])
        if t <= 0:
            net.add_edge(a, name, weight=0.0)
            net.add_edge(name, a, weight=0.0)
        if t >= 1:
            net.add_edge(b, name, weight=0.0)
            net.add_edge(name, b, weight=0.0)
    if origin.edge == target.edge:
        e = origin.edge
        back = int(reverse[e])
        if target.fraction >= origin.fraction and e not in closed:
            net.add_edge(
                "origin", "target", weight=(target.fraction - origin.fraction) * graph.travel_s[e]
            )
        elif target.fraction < origin.fraction and back >= 0 and back not in closed:
            net.add_edge(
                "origin",
                "target",
                weight=(origin.fraction - target.fraction) * graph.travel_s[back],
            )
    try:
        return float(nx.shortest_path_length(net, "origin", "target", weight="weight"))
    except nx.NetworkXNoPath:
        return math.inf
