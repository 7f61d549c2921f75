"""The one small vocabulary shared by every task, toy model and the text bridge.

Token ids are fixed so that a checkpoint trained on one task can be evaluated on another:

    0 <pad>  1 <bos>  2 <eos>  3 =  4 ,  5 |  6 <think>  7 </think>  8 <hint>
    9..18 the digits 0..9   19 +  20 -  21 *  22 /  23 (  24 )  25 ?
    26..28 the filler "think" tokens <t0> .. <t2>: no task's layout uses them, so a completion
           that contains one is ill formed (room for pause-token experiments)
    29 <wait>: with a task's `revise=True`, discards the step token written just before it so the
       next token rewrites that step (`envs.revise`); without it, ill formed like the fillers

Token classes (claim C5, "RL reinforces format tokens rather than the task"): the *format* tokens
(`FORMAT_TOKENS`) are the template: <eos>, =, the separators , and |, and the trace flags <think>
and </think>. Every token a task's layout fixes is one of them (a completion position that holds
one is a *format position*, `Task.format_positions`); every value slot holds a *content* token
(a step value or an answer digit or operator: `Task.value_tokens`, `Task.content_positions`),
and no value token is a format token. <pad>, <bos>, <hint>, the fillers and <wait> are neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

TOKENS: tuple[str, ...] = (
    "<pad>", "<bos>", "<eos>", "=", ",", "|", "<think>", "</think>", "<hint>",
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    "+", "-", "*", "/", "(", ")", "?",
    "<t0>", "<t1>", "<t2>", "<wait>",
)  # fmt: skip
D_VOCAB = len(TOKENS)
TOKEN_ID = {t: i for i, t in enumerate(TOKENS)}

PAD, BOS, EOS = TOKEN_ID["<pad>"], TOKEN_ID["<bos>"], TOKEN_ID["<eos>"]
EQ, COMMA, BAR = TOKEN_ID["="], TOKEN_ID[","], TOKEN_ID["|"]
THINK, END_THINK, HINT = TOKEN_ID["<think>"], TOKEN_ID["</think>"], TOKEN_ID["<hint>"]
DIGIT0 = TOKEN_ID["0"]
WAIT = TOKEN_ID["<wait>"]
PLUS, MINUS, TIMES, DIV = TOKEN_ID["+"], TOKEN_ID["-"], TOKEN_ID["*"], TOKEN_ID["/"]
OPERATORS = (PLUS, MINUS, TIMES, DIV)
FORMAT_TOKENS: tuple[int, ...] = (EOS, EQ, COMMA, BAR, THINK, END_THINK)
"""The template tokens (module docstring, "Token classes"): what a layout fixes, never a value."""


def digit(d: int) -> int:
    """Token id of the digit d (0..9)."""
    if not 0 <= d <= 9:
        raise ValueError(f"digit must be in 0..9, got {d}")
    return DIGIT0 + d


def digits(value: int, width: int) -> list[int]:
    """Token ids of a non-negative integer written in `width` digits, most significant first."""
    if value < 0 or value >= 10**width:
        raise ValueError(f"value {value} does not fit in {width} digits")
    return [DIGIT0 + int(c) for c in str(value).zfill(width)]


def decode(ids: Iterable[int]) -> str:
    """Space-separated token strings; unknown ids become `<unk:ID>`."""
    return " ".join(TOKENS[i] if 0 <= i < D_VOCAB else f"<unk:{i}>" for i in ids)


def encode(text: str) -> list[int]:
    """Inverse of `decode`: split on whitespace, look each token up.

    Raises ValueError naming the first unknown token and listing the vocabulary.
    """
    out = []
    for tok in text.split():
        if tok not in TOKEN_ID:
            raise ValueError(f"unknown token {tok!r}; allowed tokens: {' '.join(TOKENS)}")
        out.append(TOKEN_ID[tok])
    return out


def strip_pad(ids: Sequence[int]) -> list[int]:
    return [i for i in ids if i != PAD]
