"""Safe YAML reading that remembers where every key came from.

Only plain data is accepted: mappings, sequences, strings, numbers, booleans, null and ISO
dates. Any other tag (``!!python/object`` and friends) is an error, as are duplicate keys.
Loading returns the data and a map from key paths (tuples of keys and list indices) to the
line they were written on, so later errors can point at ``file:line``.
"""

from __future__ import annotations

import re

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


#: Limits on what a scenario's text may expand to, refused before anything else is done: the
#: size of a file, the values once aliases are expanded ("billion laughs": a few hundred bytes
#: of anchors and aliases can stand for billions of values) and the depth of nesting.
MAX_BYTES = 1_000_000
MAX_VALUES = 200_000
MAX_DEPTH = 50


class _TooBig(Exception):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class YamlSyntaxError(ScenarioError):
    """Text that is not YAML at all (as opposed to YAML refused for its size or its tags)."""


def load_text(text: str, filename: str) -> tuple[object, dict[tuple, int]]:
    """Parse YAML ``text``; return ``(data, lines)``. Raises :class:`ScenarioError` (a
    :class:`YamlSyntaxError` for text that is not YAML)."""
    if len(text) > MAX_BYTES:
        message = f"is longer than {MAX_BYTES:,} characters; a scenario is far shorter"
        raise ScenarioError([Problem(filename, None, "", message)])
    loader = None
    try:
        try:
            loader = yaml.SafeLoader(text)  # checks the characters at once
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise YamlSyntaxError([Problem(filename, line, "", f"not valid YAML: {exc.problem}")]) from None
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, control characters)
            line = text.count("\n", 0, exc.position) + 1
            ch = exc.character
            code = ord(ch) if isinstance(ch, str) else int(ch)
            raise YamlSyntaxError(
                [
                    Problem(
                        filename,
                        line,
                        "",
                        f"not valid YAML: character U+{code:04X} is not allowed in a scenario file",
                    )
                ]
            ) from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError([Problem(filename, None, "", f"not valid YAML: {exc}")]) from None
        except RecursionError:
            raise ScenarioError(
                [Problem(filename, None, "", f"is nested too deeply to read; expected at most {MAX_DEPTH} levels")]
            ) from None
        lines: dict[tuple, int] = {}
        problems: list[Problem] = []
        budget = [MAX_VALUES]
        try:
            data = _convert(loader, node, (), lines, problems, filename, budget) if node is not None else {}
        except _TooBig as exc:
            raise ScenarioError([Problem(filename, exc.line, "", exc.message)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise ScenarioError(problems)
    return data, lines


def parse_value(raw: str, key: str) -> object:
    """The value of a ``--set key=value``: YAML if it reads as YAML (within the same limits as a
    file), else the text itself. Raises :class:`ScenarioError` naming the key."""
    if not raw.strip():
        return None
    try:
        return load_text(raw, "command line (--set)")[0]
    except YamlSyntaxError:
        return raw
    except ScenarioError as exc:
        raise ScenarioError([Problem(p.file, None, key, p.message) for p in exc.problems]) from None


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(loader, node, path, lines, problems, filename, budget):
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(
            line,
            f"holds more than {MAX_VALUES:,} values once its aliases are expanded; a scenario "
            "holds far fewer (an alias bomb?)",
        )
    if len(path) > MAX_DEPTH:
        raise _TooBig(line, f"is nested more than {MAX_DEPTH} levels deep; expected a scenario's few levels")
    lines.setdefault(path, line)
    allowed = _COLLECTION_TAGS if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) else _PLAIN_TAGS
    if node.tag not in allowed:
        problems.append(
            Problem(
                filename,
                line,
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
            except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
                problems.append(
                    Problem(
                        filename, knode.start_mark.line + 1, dotted((*path, knode.value)), f"cannot read key: {exc}"
                    )
                )
                continue
            if not isinstance(key, str):
                key = str(key)
            kpath = (*path, key)
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
            out[key] = _convert(loader, vnode, kpath, lines, problems, filename, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, v, (*path, i), lines, problems, filename, budget) for i, v in enumerate(node.value)]
    try:
        return loader.construct_object(node)
    except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
        problems.append(Problem(filename, line, dotted(path), f"cannot read value: {exc}"))
        return None


def dump(data) -> str:
    """Write plain data as block-style YAML (keys in the order given). With libyaml, its emitter
    writes it (a resolved scenario's dump and digest: 4.3-4.7 ms with PyYAML's, 1.8 ms), except for
    data where the two emitters write different text (compared over every code point, in values
    and keys): characters beyond the Basic Multilingual Plane and lone surrogates (libyaml escapes
    or refuses them), U+0085 (NEL), a carriage return in a key, and keys of 64 UTF-8 bytes or more
    (libyaml counts bytes where PyYAML counts characters). So the text, and the scenario's
    digest, do not depend on whether libyaml is installed (tests/test_units.py)."""
    dumper = yaml.CSafeDumper if _LIBYAML and not _pyyaml_only(data) else yaml.SafeDumper
    return yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


_LIBYAML = getattr(yaml, "__with_libyaml__", False)


_PYYAML_ONLY = re.compile("[\x85\ud800-\udfff\U00010000-\U0010ffff]")


def _pyyaml_only(x) -> bool:
    """Whether plain data ``x`` holds a string libyaml would write differently (see :func:`dump`)."""
    if isinstance(x, str):
        return not x.isascii() and _PYYAML_ONLY.search(x) is not None
    if isinstance(x, dict):
        return any(_odd_key(k) or _pyyaml_only(k) or _pyyaml_only(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return any(_pyyaml_only(v) for v in x)
    return False


def _odd_key(k) -> bool:
    return isinstance(k, str) and ("\r" in k or len(k.encode("utf-8", "surrogatepass")) >= 64)
