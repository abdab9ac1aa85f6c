"""Timing shared by the PyTorch sides of the benchmarks."""
import statistics
import time


def median_time(fn, repeats, warmups=1, sync=None):
    """Median wall time of `repeats` calls of fn after `warmups` untimed ones. `sync` (e.g.
    torch.cuda.synchronize) runs before the clock starts and before it stops, so that GPU work
    queued by fn is counted in full."""
    for _ in range(warmups):
        fn()
    sync = sync or (lambda: None)
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
