"""Safe YAML reading that remembers where every key came from.

Only plain data is accepted: mappings, sequences, strings, numbers, booleans, null and ISO
dates. Any other tag (``!!python/object`` and friends) is an error, as are duplicate keys.
Loading returns the data and a map from key paths (tuples of keys and list indices) to the
line they were written on, so later errors can point at ``file:line``.
"""

from __future__ import annotations

import yaml

from .errors import Problem, ScenarioError

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


def dotted(path: tuple) -> str:
    """Key path → ``events[2].size`` form."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_text(text: str, filename: str) -> tuple[object, dict[tuple, int]]:
    """Parse YAML ``text``; return ``(data, lines)``. Raises :class:`ScenarioError`."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise ScenarioError([Problem(filename, line, "", f"not valid YAML: {exc.problem}")]) from None
        lines: dict[tuple, int] = {}
        problems: list[Problem] = []
        data = _convert(loader, node, (), lines, problems, filename) if node is not None else {}
    finally:
        loader.dispose()
    if problems:
        raise ScenarioError(problems)
    return data, lines


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(loader, node, path, lines, problems, filename):
    lines.setdefault(path, node.start_mark.line + 1)
    allowed = _COLLECTION_TAGS if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) else _PLAIN_TAGS
    if node.tag not in allowed:
        problems.append(
            Problem(
                filename,
                node.start_mark.line + 1,
                dotted(path),
                f"YAML tag {node.tag!r} is not allowed; scenario files hold plain data only",
            )
        )
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode) or knode.tag not in _PLAIN_TAGS:
                problems.append(Problem(filename, knode.start_mark.line + 1, dotted(path), "keys must be plain names"))
                continue
            try:
                key = loader.construct_object(knode)
            except (yaml.constructor.ConstructorError, ValueError) as exc:
                problems.append(
                    Problem(
                        filename, knode.start_mark.line + 1, dotted(path + (knode.value,)), f"cannot read key: {exc}"
                    )
                )
                continue
            if not isinstance(key, str):
                key = str(key)
            kpath = path + (key,)
            if key in out:
                problems.append(
                    Problem(
                        filename,
                        knode.start_mark.line + 1,
                        dotted(kpath),
                        f"duplicate key (first given on line {lines[kpath]})",
                    )
                )
                continue
            lines[kpath] = knode.start_mark.line + 1
            out[key] = _convert(loader, vnode, kpath, lines, problems, filename)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, v, path + (i,), lines, problems, filename) for i, v in enumerate(node.value)]
    try:
        return loader.construct_object(node)
    except (yaml.constructor.ConstructorError, ValueError) as exc:
        problems.append(Problem(filename, node.start_mark.line + 1, dotted(path), f"cannot read value: {exc}"))
        return None


def dump(data) -> str:
    """Write plain data as block-style YAML (keys in the order given)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
