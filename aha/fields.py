"""`aha fields`: the fields `--set FIELD=VALUE` accepts (`aha grid`, `aha demo`), each with its
default and the first sentence of its docstring in toymodels/config.py, read from that source so
the list cannot drift from the config it describes."""

from __future__ import annotations

import ast
import inspect
import textwrap

__all__ = ["field_docs", "fields_text"]


def _doc(node) -> str:
    ok = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    return " ".join(node.value.value.split()) if ok else ""


def field_docs() -> list[tuple[str, str, str]]:
    """(field, default as written, docstring) of every CellConfig field, in the class's order; the
    `seeds` field is given as `seed`, the name `--set` takes for the seed axis."""
    from toymodels import config  # noqa: PLC0415  (imports torch: only when asked)

    body = ast.parse(textwrap.dedent(inspect.getsource(config.CellConfig))).body[0].body
    out = []
    for node, nxt in zip(body, [*body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, default = node.target.id, ast.unparse(node.value) if node.value is not None else ""
            doc = _doc(nxt) if nxt is not None else ""
            if name == "seeds":
                name, default, doc = "seed", "0", "The seed axis: seed=0,1,2 trains three seeds. " + doc
            out.append((name, default, doc))
    return out


def _first_sentence(doc: str) -> str:
    cut = doc.find(". ")
    return doc if cut < 0 else doc[: cut + 1]


def fields_text(width: int = 100) -> str:
    """The listing `aha fields` prints: one field a line (name = default), its meaning indented below."""
    lines = [
        "Fields of `--set FIELD=VALUE` (aha grid, aha demo); a comma list sets an axis (--set width=8,16,32).",
        "",
    ]
    for name, default, doc in field_docs():
        lines.append(f"{name} = {default}")
        lines += textwrap.wrap(_first_sentence(doc), width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)
