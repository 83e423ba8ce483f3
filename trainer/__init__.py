"""Neural Playground's training core: pure Python, torch and numpy, never Qt.

Importing it first tunes two thread pools for small machines shared with other work (measured
in bench/, issue 6). Both are read once when their library loads, hence here, before any trainer
module imports torch or numpy; a value the user set wins, and neither changes any result.
"""
import os as _os
import sys as _sys

# torch's OpenMP runtime (libgomp on Linux) lets a waiting worker spin for milliseconds before it
# sleeps. On 2 cores with anything else running, its partner thread is often descheduled and every
# parallel op burns that spin: a mini-batch MNIST epoch took 12-28 s instead of ~1 s. Sleeping at
# once (PASSIVE) fixes that but costs a wake-up per op; libgomp's GOMP_SPINCOUNT (which wins over the
# policy there) spins ~10 us first, its own value for a crowded machine: as safe as PASSIVE when busy.
# On a quiet machine the wake-ups still cost small two-thread steps dearly (issue 14: mini-batch MNIST
# at 2 threads 0.45 epochs/s at this spin count, 0.83 at libgomp's default 300,000, 0.10-0.27 beside one busy
# process at the longer spins), so config.ONE_THREAD_BELOW keeps such steps on one thread, which
# needs no wake-up at all. Other OpenMP runtimes read the policy. (The thread count, so the order
# floats are summed in, stays.)
if "torch" not in _sys.modules:
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    _os.environ.setdefault("GOMP_SPINCOUNT", "1000")
# numpy's OpenBLAS splits even a 28x200 @ 200x200 product over threads that spin the same way: the
# drawing pad's to_mnist took 32 ms instead of 0.5 ms. The app's numpy products are all that small.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
