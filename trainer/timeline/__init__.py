"""Time travel: the run's recorded epochs, its branches, and what is computed from them."""
