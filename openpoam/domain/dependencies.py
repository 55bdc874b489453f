"""Dependencies between POA&M items must form no cycle: a cycle means nothing can finish."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping


def find_cycle(edges: Mapping[Hashable, Iterable[Hashable]]) -> list | None:
    """Return one cycle as [a, b, ..., a] if the graph "x depends on y" has one, else None."""
    graph = {node: list(targets) for node, targets in edges.items()}
    state: dict = {}  # node -> 1 visiting, 2 done
    for start in graph:
        if state.get(start):
            continue
        path = [start]
        stack = [iter(graph.get(start, ()))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, ())))
    return None
