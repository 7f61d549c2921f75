"""Which part of a completion is the answer (the same rule for a JSONL benchmark and the project tasks).

    extract_answer("... so the total is \\boxed{42}.")     # '42'
    extract_answer("Steps: 3 4\\nAnswer: 7\\nQ: next")       # '7'
    extract_answer("The final answer is 12.")              # '12'

In this order, the first that applies:

1. the content of the last ``\\boxed{...}`` (braces balanced), as chain-of-thought prompts ask for;
2. the rest of the first line that contains ``Answer:`` (few-shot prompts end each example with it, so
   a later ``Answer:`` belongs to an example the model went on to invent);
3. what follows the last "answer is" / "answer:" phrase ("The final answer is 12."), up to the line end,
   without a trailing full stop;
4. nothing found: None. A numeric verifier then takes the last number of the whole completion (a model
   that ends with "... = 11." has answered 11); an exact verifier its last non-empty line.
"""

from __future__ import annotations

import re

_BOXED = "\\boxed{"
_PHRASE = re.compile(r"answer\s*(?:is|:)\s*:?\s*(.+)", re.IGNORECASE)


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} with balanced braces; None when there is none (or it is cut off)."""
    i = text.rfind(_BOXED)
    if i < 0:
        return None
    depth, j = 1, i + len(_BOXED)
    for k in range(j, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[j:k].strip()
    return None


def extract_answer(text: str) -> str | None:
    """The answer text of a completion by the module's rule, or None."""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    for line in text.splitlines():
        i = line.find("Answer:")
        if i >= 0:
            return line[i + len("Answer:") :].strip()
    found = list(_PHRASE.finditer(text))
    if found:
        ans = found[-1].group(1).splitlines()[0].strip()
        return ans[:-1].strip() if ans.endswith(".") else ans
    return None
