"""Neural Playground's training core: pure Python, torch and numpy, never Qt."""
