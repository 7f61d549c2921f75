"""`TokenVectorEnv`: all episodes of one task stepped together in torch tensor operations.

No Python loop runs over environments: prompts come from the task's batched generator, the
verdict from its batched verifier, rewards from `RewardConfig` on tensors. Runs on CPU or CUDA
(`device=`). Observations, rewards and flags are torch tensors on that device: `tokens` int64
(num_envs, n_ctx), `length` int64 (num_envs,), rewards float64, terminated/truncated bool; the
`observation_space` and `action_space` (`envs.spaces`) hold exactly these (`contains` is True for
them, `sample` returns them). `single_observation_space` is the single env's (numpy). Actions may
be a torch tensor, a numpy array or a list of token ids. `render_mode="ansi"`: `render()` shows
the first `render_envs` envs (default 4), one line each.

Seeding follows `gymnasium.vector.SyncVectorEnv`: `reset(seed=s)` gives env i the stream s + i,
so env i matches a single `TokenEnv` reset with seed s + i; `reset()` without a seed moves every
stream on to its next item, as the single envs do. Extra reset options: `group_size=G` makes
each block of G consecutive envs share the prompt of its first env (GRPO groups);
`seeds=`/`indices=` (tensors of num_envs) pick the items (later autoresets take the following
indices). Autoreset mode is NEXT_STEP: the step after an episode ends resets that
env, ignoring its action.

Reward randomness (noise, random rewards) is keyed on the episode's item (its seed and index,
those of the group's first env) and its sample within the group (env index % G), never on the
env's slot or the reset seed: a batch of seeds pays each seed what it would be paid alone.

A step costs a couple of dozen tensor operations whatever num_envs is:
- every written token is looked up in a table indexed by (position, target token, token): bits
  for "not allowed here", "wrong answer token", "wrong step token", "right step token", "the
  answer ends here" and "<eos>". Tasks that keep the default exact-match verifier are judged from
  the bits accumulated over the episode; tasks with their own verifier (Countdown,
  PermutationCompose) or with `revise` run `Task.verify` when an answer ends (and on every step
  for dense rewards);
- the fast path (exact match, no delay, no noise, not random) reads every output of a step from
  small tables indexed by those bits: the verdict flags (one lookup), the reward (one more, two
  with dense rewards). Each env keeps a flat pointer to the token slot it writes next; the same
  index into the table-offset rows (laid out like the token rows) gives that slot's offset, so
  writing the token and finding its bits are three indexing operations;
- items are generated ahead (`Task.batch` on num_envs x K items), K doubling from 1 after a
  reset up to 64 or an 8 MB buffer, so an autoreset copies prepared rows (its tokens and its
  table offsets) and a caller that runs one episode per env (an RL rollout) generates few items
  it never uses.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from . import vocab
from .env import build, check_render_mode, observation_space, render_fields, warn_no_render_mode
from .spaces import TensorBox, TensorMultiDiscrete
from .task import Task, check_int

V = vocab.D_VOCAB
_ITEM_BUDGET = 1 << 20  # int64 entries of items generated ahead, all envs together (8 MB)
_VERDICT_KEYS = ("correct", "trace_correct", "well_formed")
# token-table bits; the three error bits are ordered so that, with e = err & 7:
# well formed <=> e < 4, correct <=> e < 2, trace correct <=> e == 0. _EOS: <eos> written (it ends
# the answer); _RESTART (fast path only): the env restarts this step and writes nothing
_WRONG_STEP, _WRONG_ANSWER, _BAD, _RIGHT_STEP, _ENDS, _EOS, _RESTART = 1, 2, 4, 8, 16, 32, 64


class TokenVectorEnv(VectorEnv):
    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": ["ansi"]}
    task_cls: ClassVar[type[Task]]
    render_envs: int = 4  # envs shown by render()

    def __init__(
        self, num_envs: int = 1, device: str | torch.device = "cpu", render_mode: str | None = None, **kwargs: Any
    ):
        self.num_envs = check_int("num_envs", num_envs, 1)
        self.render_mode = check_render_mode(render_mode)
        self.device = torch.device(device)
        self.task, self.reward_cfg, self.n_ctx = build(self.task_cls, kwargs)
        self.single_action_space = spaces.Discrete(V)
        self.single_observation_space = observation_space(self.n_ctx)
        self.action_space = TensorMultiDiscrete([V] * num_envs, self.device)
        self.observation_space = spaces.Dict(
            {
                "tokens": TensorBox(0, V - 1, (num_envs, self.n_ctx), self.device),
                "length": TensorMultiDiscrete([self.n_ctx + 1] * num_envs, self.device),
            }
        )
        N, dev, task = num_envs, self.device, self.task
        self._P, self._C = task.prompt_len, task.completion_len
        self._base = 1 + self._P  # token column of the first completion token
        self._exact = (
            type(task).verify is Task.verify and type(task).well_formed is Task.well_formed and not task.revise
        )  # <wait> revisions: judged by Task.verify on the collapsed trace
        rc = self.reward_cfg
        self._fast = self._exact and not rc.delay and not rc.noise and rc.mode != "random"
        self._keyed = bool(rc.noise) or rc.mode == "random"  # the verdict hashes the episode's item
        self._table = self._token_table(restart=self._fast).to(dev)
        self._step_pos = torch.tensor(task.step_positions, dtype=torch.long, device=dev)
        self._k_max = max(1, min(64, _ITEM_BUDGET // (N * 2 * self.n_ctx)))
        self._arange = torch.arange(N, device=dev)
        self._one = torch.ones(1, dtype=torch.long, device=dev)
        self._shape = (N,)
        # an env's state is two rows of n_ctx: its tokens, and under each completion token the
        # table offset of its position and target (`_off`). A pointer (flat index into the token
        # rows) names the slot an env writes; the same index into the offset rows gives its offset.
        # Envs that write nothing this step point at column 0 (<bos>, rewritten with <bos> or by
        # `_start`), whose offset is that of position C: bits 0 (_RESTART on the fast path)
        self._row0 = self._arange * self.n_ctx  # (N,) pointer of each env's column 0
        self._tp0 = self._row0 + self._base  # (N,) pointer of completion position 0
        self._state0 = torch.stack([self._tp0, torch.zeros_like(self._tp0)])  # (2, N) a fresh episode's state
        if self._fast:
            self._verdict_tables()
        self.stream = torch.zeros(N, dtype=torch.long, device=dev)  # seed of each env's item stream
        self.episode = torch.full((N,), -1, dtype=torch.long, device=dev)  # episodes since seeded
        self._ready = False

    # --- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = dict(options or {})
        N, dev = self.num_envs, self.device
        self.group_size = check_int("group_size", int(options.pop("group_size", 1)), 1, N)
        if N % self.group_size:
            raise ValueError(f"group_size must divide num_envs={N}, got {self.group_size}")
        seeds, indices = options.pop("seeds", None), options.pop("indices", None)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; allowed: group_size, seeds, indices")
        if seed is not None or not self._ready:
            s = int(seed) if seed is not None else int(np.random.default_rng().integers(2**31))
            self.stream = s + torch.arange(N, device=dev)
            self.episode = torch.full((N,), -1, dtype=torch.long, device=dev)
        self._item_seed = self.stream if seeds is None else self._per_env("seeds", seeds)
        # item index = episode + offset; the offset is None while they are equal
        self._offset = None if indices is None else self._per_env("indices", indices) - self.episode - 1
        self._rows = torch.zeros(2, N, self.n_ctx, dtype=torch.long, device=dev)
        self._tokens, self._off = self._rows  # (N, n_ctx) each: tokens, table offsets
        self._flat = self._tokens.view(-1)  # (N * n_ctx,) what the pointers index
        self._off_flat = self._off.view(-1)
        # (2, N): the pointer of the slot each env writes next, and the table bits of its episode
        # or-ed; updated in place only, so the views _tp and _err stay valid
        self._state = torch.stack([self._tp0, torch.zeros_like(self._tp0)])
        self._tp, self._err = self._state
        self._ended = torch.zeros(N, dtype=torch.bool, device=dev)  # verdict known (delay > 0)
        self._done = torch.zeros(N, dtype=torch.bool, device=dev)  # verdict delivered
        self._any_done = False
        self._delay = torch.zeros(N, dtype=torch.long, device=dev)  # steps left before delivery
        no = torch.zeros(N, dtype=torch.bool, device=dev)
        self._pending = (torch.zeros(N, dtype=torch.float64, device=dev), no, no, no, no)  # see step
        self._buf_k = self._k_bound = 0  # nothing generated ahead yet
        self._buf = None
        self._sample = self._arange % self.group_size  # (N,) place of each env in its group
        self._lead = self._arange - self._sample  # (N,) first env of each env's group
        self._ep_seed = torch.zeros(N, dtype=torch.long, device=dev)  # (N,) item of the current episode
        self._ep_index = torch.zeros(N, dtype=torch.long, device=dev)
        self._start(torch.ones(N, dtype=torch.bool, device=dev))
        self._ready = True
        return self._obs(), {}

    def step(self, actions):
        if not self._ready:
            raise RuntimeError("step() called before reset(); call env.reset(seed=...) first")
        a = self._actions(actions)  # (N,)
        return self._step_fast(a) if self._fast else self._step_general(a)

    def _step_fast(self, a: torch.Tensor):
        """Exact match, no delay, no noise, not random: every output from the table bits.

        Envs that restart this step (their episode ended on the last one) write at position C,
        whose bits are _RESTART: the verdict tables give them nothing, and `_start` then copies
        their new row over whatever they wrote."""
        done = self._done
        rows = done.nonzero(as_tuple=True)[0]  # (R,) envs that restart now (no separate any())
        tp = torch.where(done, self._row0, self._tp) if rows.shape[0] else self._tp
        self._flat.scatter_(0, tp, a)
        code = self._table.take(self._off_flat.take(tp) + a)  # (N,) table bits of this token
        err = self._err
        err |= code  # in place
        deliver, terminated, truncated, correct, trace, wf = self._vt.index_select(0, err).unbind(1)
        reward = self._rt.take(err)  # (N,) float64
        if self._dt is not None:  # dense: the step token's share, then the verdict's
            reward = self._dt.take(code) + reward
        self._tp += 1  # in place (envs that restart are set by _start)
        if rows.shape[0]:
            self._start(done, rows)
        self._done = deliver
        info = {
            "correct": correct,
            "trace_correct": trace,
            "well_formed": wf,
            "_correct": deliver,
            "_trace_correct": deliver,
            "_well_formed": deliver,
        }  # _VERDICT_KEYS
        return self._obs(), reward, terminated, truncated, info

    def _step_general(self, a: torch.Tensor):
        N, rc, dev = self.num_envs, self.reward_cfg, self.device
        restart, any_restart = self._done, self._any_done  # NEXT_STEP autoreset: these only reset
        if rc.delay:
            waiting = self._ended & ~restart  # answer ended, verdict not yet delivered
            writing = ~(restart | self._ended)
        else:  # without delay an ended episode is delivered at once and restarts next step
            writing = ~restart
        ptr = torch.where(writing, self._tp, self._row0)  # (N,) slot written now; column 0: none
        self._flat.scatter_(0, ptr, torch.where(writing, a, vocab.BOS))
        self._tp += writing
        code = self._table.take(self._off_flat.take(ptr) + a)  # (N,) table bits
        self._err |= code
        just = code >= _ENDS  # (N,) the answer ends now
        reward = self._dense(code, writing)
        verdict = None  # (reward, terminated, correct, trace_correct, well_formed), (N,) each
        any_just = bool(just.any())
        if any_just:
            correct, trace, wf = self._judge(just)
            r = rc.verdict(correct, wf, self._ep_seed, self._ep_index, self._sample, self.task.n_steps)
            if rc.noise or rc.mode == "random":  # otherwise already 0 where nothing ended
                r = torch.where(just, r, 0.0)
            verdict = (r, just & (a == vocab.EOS), correct, trace, wf)
            if rc.delay:  # keep until delivery
                self._pending = tuple(
                    torch.where(just, new, old) for new, old in zip(verdict, self._pending, strict=True)
                )
                self._delay = torch.where(just, rc.delay, self._delay)
                self._ended = self._ended | just
        if rc.delay:
            self._delay = self._delay - waiting.long()
            deliver = waiting & (self._delay == 0)
            self._any_done = bool(deliver.any())
            verdict = (torch.where(deliver, self._pending[0], 0.0), *(v & deliver for v in self._pending[1:]))
        else:
            deliver, self._any_done = just, any_just
        if verdict is None:
            zero = torch.zeros(N, dtype=torch.bool, device=dev)
            verdict = (None, zero, zero, zero, zero)
        else:
            reward = verdict[0] if reward is None else reward + verdict[0]
        if reward is None:
            reward = torch.zeros(N, dtype=torch.float64, device=dev)
        terminated = verdict[1]
        info = dict(zip(_VERDICT_KEYS, verdict[2:], strict=True))
        info.update({f"_{k}": deliver for k in _VERDICT_KEYS})

        if any_restart:
            self._start(restart)
        self._done = deliver
        return self._obs(), reward, terminated, deliver ^ terminated, info

    def render(self) -> str | None:
        """render_mode="ansi": the task, then one line per env for the first `render_envs` envs."""
        if self.render_mode is None:
            return warn_no_render_mode(self)
        head = f"{self.task!r}, {self.num_envs} envs"
        if not self._ready:
            return f"{head}: call reset() to start the episodes"
        shown = min(self.num_envs, self.render_envs)
        lines = [f"{head}{f' (the first {shown})' if shown < self.num_envs else ''}"]
        comps, pos = self._completions[:shown].tolist(), self._pos[:shown].tolist()
        for i in range(shown):
            fields = render_fields(self.task, self.prompts[i].tolist(), comps[i][: pos[i]])
            lines.append(f"env {i}  " + "  ".join(f"{label}: {text}" for label, text in fields))
        return "\n".join(lines)

    # --- helpers -----------------------------------------------------------------------------
    def _actions(self, actions) -> torch.Tensor:
        """Validated (N,) int64 actions; errors name the allowed range."""
        if (
            type(actions) is torch.Tensor
            and actions.dtype == torch.long
            and actions.shape == self._shape
            and actions.device == self.device
        ):  # the common case, checked with one reduction
            lo, hi = torch.aminmax(actions)
            if 0 <= int(lo) and int(hi) < V:
                return actions
        allowed = f"integer token ids in [0, {V - 1}] of shape ({self.num_envs},)"
        try:
            a = torch.as_tensor(actions, device=self.device)
        except (TypeError, ValueError, RuntimeError):
            raise ValueError(f"actions must be {allowed}, got {actions!r}") from None
        if a.dtype.is_floating_point or a.dtype.is_complex or a.dtype == torch.bool:
            raise ValueError(f"actions must be {allowed}, got dtype {a.dtype}")
        a = a.reshape(-1).long()
        if a.shape[0] != self.num_envs:
            raise ValueError(f"actions must be {allowed}, got shape {tuple(a.shape)}")
        lo, hi = (int(x) for x in torch.aminmax(a))
        if lo < 0 or hi >= V:
            raise ValueError(f"actions must be {allowed}, got values in [{lo}, {hi}]")
        return a

    def _per_env(self, name: str, value) -> torch.Tensor:
        t = torch.as_tensor(value, device=self.device)
        if t.dtype.is_floating_point or t.shape != (self.num_envs,) or (t < 0).any():
            raise ValueError(f"reset option {name} must be {self.num_envs} non-negative integers")
        return t.long()

    def _token_table(self, restart: bool = False) -> torch.Tensor:
        """Flat ((C + 1) * V * V,) bits for (position p, target token t, written token a) at
        (p * V + t) * V + a. Position C is for envs that write nothing this step: all zero, or
        _RESTART with `restart` (the fast path)."""
        C, task = self._C, self.task
        table = torch.zeros(C + 1, V, V, dtype=torch.long)  # (position, target, written)
        same = torch.eye(V, dtype=torch.bool)  # (target, written)
        for p, want in enumerate(task.layout()):
            ok = torch.zeros(V, dtype=torch.bool)
            ok[list(task.value_tokens) if want is None else [want]] = True
            table[p, :, ~ok] |= _BAD
        for positions, wrong, right in (
            (task.answer_positions, _WRONG_ANSWER, 0),
            (task.step_positions, _WRONG_STEP, _RIGHT_STEP),
        ):
            for p in positions:
                table[p] |= torch.where(same, right, wrong)
        table[:C, :, vocab.EOS] |= _ENDS | _EOS
        table[C - 1] |= _ENDS
        if restart:
            table[C] = _RESTART
        return table.reshape(-1)

    def _verdict_tables(self) -> None:
        """The fast path's outputs for every value of the or-ed bits err (0 .. 127): `_vt` (128, 6)
        bool (delivered, terminated, truncated, correct, trace correct, well formed), `_rt`
        (128,) float64 the verdict's reward, `_dt` (128,) float64 the dense reward of a step
        token's bits (None without dense rewards); the same formulas as the general path."""
        rc, dev, n_steps = self.reward_cfg, self.device, self.task.n_steps
        err = torch.arange(128)
        e = err & 7
        ended = ((err & _ENDS) != 0) & ((err & _RESTART) == 0)
        eos = (err & _EOS) != 0
        correct, trace, wf = ended & (e < 2), ended & (e == 0), ended & (e < 4)
        self._vt = torch.stack([ended, ended & eos, ended & ~eos, correct, trace, wf], 1).to(dev)
        self._rt = rc.verdict(correct, wf, None, None, None, n_steps).to(dev)
        w = rc.step_weight(n_steps)
        self._dt = None
        if w and n_steps:
            self._dt = ((err & _RIGHT_STEP).double() * (w / _RIGHT_STEP)).to(dev)

    def _dense(self, code: torch.Tensor, writing: torch.Tensor) -> torch.Tensor | None:
        """(N,) dense reward of the step tokens written now, or None when there is none."""
        w = self.reward_cfg.step_weight(self.task.n_steps)
        if not w or not self.task.n_steps:
            return None
        if self._exact:
            return (code & _RIGHT_STEP).double() * (w / _RIGHT_STEP)
        v = self.task.verify(self.prompts, self._completions, self.targets)
        at_step = self._step_pos[None, :] == (self._pos - 1)[:, None]  # (N, n_steps)
        return ((v.step_correct & at_step).any(dim=1) & writing).double() * w

    def _judge(self, just: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(correct, trace_correct, well_formed), each (N,), of the answers ending now (else False).

        For exact-match tasks an answer cut short by <eos> is ill formed through the _BAD bit of
        the early <eos>, and one written to its last position has every position checked."""
        if self._exact:
            e = torch.where(just, self._err & 7, 8)
            return e < 2, e == 0, e < 4
        rows = just.nonzero().squeeze(1)  # (R,) only the answers that end now
        v = self.task.verify(self._tokens[rows, 1 : self._base], self._completions[rows], self.targets[rows])
        out = torch.zeros(3, self.num_envs, dtype=torch.bool, device=self.device)
        out[:, rows] = torch.stack([v.correct, v.trace_correct, v.well_formed])
        return out[0], out[1], out[2]

    def _start(self, mask: torch.Tensor, rows: torch.Tensor | None = None) -> None:
        """Begin a new episode in the envs where `mask` is True (`rows`: those envs, if known)."""
        rows = mask.nonzero(as_tuple=True)[0] if rows is None else rows  # (R,) envs that start
        self.episode.index_put_((rows,), self._one, accumulate=True)  # += 1 there, in place
        item_seed, item_idx = self._item_seed, self.index
        if self.group_size > 1:  # each block of G envs shares its first env's item
            item_seed, item_idx = item_seed[self._lead], item_idx[self._lead]
        # each env moves at most one item on per call, so _k_bound bounds every env's offset
        self._k_bound += 1
        if self._buf_k and self._k_bound >= self._buf_k:
            self._k_bound = int((item_idx - self._buf_base).max())
        if not self._buf_k or self._k_bound >= self._buf_k:
            self._generate(item_seed, item_idx, min(self._k_max, 2 * self._buf_k) if self._buf_k else 1)
        src = (self._flat0 + item_idx).index_select(0, rows)  # (R,) their rows in the buffer
        self._rows.index_copy_(1, rows, self._buf.index_select(1, src))
        if self._keyed:  # the reward's randomness is keyed on the episode's item
            self._ep_seed = torch.where(mask, item_seed, self._ep_seed)
            self._ep_index = torch.where(mask, item_idx, self._ep_index)
        torch.where(mask, self._state0, self._state, out=self._state)  # pointer at position 0, bits 0
        if self.reward_cfg.delay:
            self._ended = self._ended & ~mask

    def _generate(self, item_seed: torch.Tensor, item_idx: torch.Tensor, K: int) -> None:
        """Rows ready to copy for items item_idx .. item_idx + K - 1 of every env."""
        N, P, C, dev = self.num_envs, self._P, self._C, self.device
        seeds = item_seed[:, None].expand(N, K).reshape(-1)  # (N * K,)
        idx = (item_idx[:, None] + torch.arange(K, device=dev)).reshape(-1)  # (N * K,)
        prompts, targets = self.task.batch(seeds, idx)  # (N * K, P), (N * K, C)
        shape, b = (2, N * K, self.n_ctx), 1 + P  # b: the first completion column
        buf = self._buf if self._buf is not None and self._buf.shape == shape else None
        if buf is None:  # a new buffer (reused while K stays: a fresh one costs page faults)
            buf = torch.empty(shape, dtype=torch.long, device=dev)
        # every entry written once: <bos>, prompt, <pad>; offsets (position C's outside the completion)
        buf[0, :, 0] = vocab.BOS
        buf[0, :, 1:b] = prompts
        buf[0, :, b:] = vocab.PAD
        torch.mul(torch.arange(C, device=dev) * V + targets, V, out=buf[1, :, b : b + C])
        buf[1, :, :b] = buf[1, :, b + C :] = (C * V + vocab.PAD) * V
        self._buf = buf  # (2, N * K, n_ctx) tokens and offsets: env i's item k in row i * K + k
        self._buf_base, self._buf_k, self._k_bound = item_idx.clone(), K, 0
        self._flat0 = self._arange * K - item_idx  # (N,) row of env i's item j: _flat0[i] + j

    def _obs(self) -> dict[str, torch.Tensor]:
        return {"tokens": self._tokens.clone(), "length": self._tp - self._row0}

    @property
    def _pos(self) -> torch.Tensor:
        """(N,) completion tokens written in the current episode."""
        return self._tp - self._tp0

    @property
    def _completions(self) -> torch.Tensor:
        return self._tokens[:, self._base : self._base + self._C]  # (N, C) view, <pad> after pos

    @property
    def index(self) -> torch.Tensor:
        """(N,) item index of each env's current episode (before `group_size` sharing)."""
        return self.episode if self._offset is None else self.episode + self._offset

    @property
    def prompts(self) -> torch.Tensor:
        """(N, P) prompts of the current episodes."""
        return self._tokens[:, 1 : self._base].clone()

    @property
    def targets(self) -> torch.Tensor:
        """(N, C) canonical completions of the current episodes (for evaluation, not for agents)."""
        return self._off[:, self._base : self._base + self._C] // V % V
