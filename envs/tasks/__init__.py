"""The package's task families, one module each; importing a module registers its task
(`@envs.register_task`), its `<Name>Env`, `<Name>VectorEnv` and the id `aha/<Name>-v0`."""

from . import mod_chain, multi_digit_add, countdown, sparse_parity, permutation_compose  # noqa: F401, I001  (this order)
