"""The task families. Each file holds a Task, its gymnasium.Env and its batched VectorEnv."""
