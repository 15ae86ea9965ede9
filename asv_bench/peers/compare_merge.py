"""Merging parameters: skfusion against the argsort-based way, one run.

1. TIES of 4 models x 25M float32 entries: ``skfusion.merge.merge_params``
   (numba kernel: exact top-k threshold by sampling + selection, one fused
   pass for sign election and disjoint mean) against a numpy TIES written as
   mergekit writes it: task vectors stacked, top-k by ``argsort`` of each
   magnitude vector, sign and disjoint mean on the stacked block. Target
   (doc/benchmarks.rst): at least 8x faster; the two results are compared.
2. DARE of the same 4 models against copying the 4 input tensors once
   (``np.copy``), the memory traffic any merge has to pay.
3. Peak memory of ``merge_params`` (sampled resident set) on 4 models of 4
   tensors each, beyond the merged result, in units of one tensor; and the
   same for the stacked argsort TIES.

Run: ``python asv_bench/peers/compare_merge.py`` (``--quick`` for 2.5M entries).
"""

import os
import sys
import threading
import time
import tracemalloc

import numpy as np

from skfusion.merge import merge_params


def argsort_ties(tensors, base, density, scaling):
    """TIES as mergekit computes it (magnitude sparsification by argsort), in numpy."""
    deltas = np.stack([t - base for t in tensors])  # (M, n)
    k = int(round(density * deltas.shape[1]))
    for row in deltas:
        order = np.argsort(np.abs(row))  # ascending
        row[order[: row.size - k]] = 0  # keep the k largest magnitudes
    sign = np.sign(deltas.sum(axis=0))
    agree = (np.sign(deltas) == sign) & (deltas != 0)
    total = (deltas * agree).sum(axis=0)
    count = agree.sum(axis=0)
    merged = np.where(count > 0, total / np.maximum(count, 1), 0)
    return (base + scaling * merged).astype(base.dtype)


def timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _map_large_allocations():
    """Make glibc give every allocation over 128 KiB its own mapping, returned on
    free, so that the resident set follows allocations (its default threshold
    grows after frees, and freed arrays would stay resident)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_extra(fn, result_bytes):
    """Peak memory of ``fn()`` beyond what it returns: the resident set sampled
    every 0.2 ms (it sees numba's allocations, which tracemalloc does not);
    tracemalloc where /proc is missing."""
    if not os.path.exists("/proc/self/statm"):
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        return peak - result_bytes
    before = _resident_bytes()
    peak = before
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _resident_bytes())
            time.sleep(0.0002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out = fn()
    done.set()
    sampler.join()
    peak = max(peak, _resident_bytes())
    del out
    return peak - before - result_bytes


def _models(n, n_models):
    rng = np.random.default_rng(0)
    base = rng.normal(size=n).astype(np.float32)
    tensors = [base + rng.normal(scale=0.1, size=n).astype(np.float32) for _ in range(n_models)]
    small = [{"w": t[:1000]} for t in tensors]
    merge_params(small, merge="ties", base={"w": base[:1000]})  # compile, not timed
    merge_params(small, merge="dare", base={"w": base[:1000]})
    return base, tensors


def ties_vs_argsort(base, tensors, density=0.2):
    """(argsort seconds, skfusion seconds, share of entries that differ, max |diff|)."""
    models = [{"w": t} for t in tensors]
    t_peer, peer = timed(lambda: argsort_ties(tensors, base, density, 1.0))
    t_ties, ours = timed(
        lambda: merge_params(models, merge="ties", base={"w": base}, density=density), repeat=2
    )
    difference = np.abs(peer - ours["w"])
    return t_peer, t_ties, float(np.mean(difference > 0)), float(difference.max())


def dare_vs_copy(base, tensors, density=0.2):
    """(seconds to copy the inputs once, skfusion DARE seconds)."""
    models = [{"w": t} for t in tensors]
    t_copy, _ = timed(lambda: [np.copy(t) for t in tensors], repeat=3)
    t_dare, _ = timed(
        lambda: merge_params(
            models, merge="dare", base={"w": base}, density=density, random_state=0
        ),
        repeat=2,
    )
    return t_copy, t_dare


def main(n=25_000_000, n_models=4, density=0.2):
    base, tensors = _models(n, n_models)
    print(f"{n_models} models x {n:,} float32 entries, density {density}")
    t_peer, t_ties, differ, max_diff = ties_vs_argsort(base, tensors, density)
    print(f"TIES: argsort (mergekit way)        {t_peer:8.3f} s")
    print(f"TIES: skfusion merge_params         {t_ties:8.3f} s   {t_peer / t_ties:6.1f}x")
    print(f"  entries that differ: {differ:.2e}, max |diff| {max_diff:.2e}")
    t_copy, t_dare = dare_vs_copy(base, tensors, density)
    print(f"DARE: copy of the {n_models} input tensors      {t_copy:8.3f} s")
    print(f"DARE: skfusion merge_params         {t_dare:8.3f} s   {t_dare / t_copy:6.2f}x copy")

    m = n // 4
    layered = [{f"t{i}": t[i * m : (i + 1) * m] for i in range(4)} for t in tensors]
    layered_base = {f"t{i}": base[i * m : (i + 1) * m] for i in range(4)}
    tensor_bytes = m * 4
    result_bytes = 4 * tensor_bytes
    for merge in ("average", "ties", "dare"):
        extra = peak_extra(
            lambda merge=merge: merge_params(
                layered, merge=merge, base=layered_base, density=density
            ),
            result_bytes,
        )
        print(f"peak extra memory, merge_params {merge:<8} {extra / tensor_bytes:6.2f} tensors")
    extra = peak_extra(
        lambda: {
            k: argsort_ties([d[k] for d in layered], layered_base[k], density, 1.0)
            for k in layered_base
        },
        result_bytes,
    )
    print(f"peak extra memory, argsort TIES          {extra / tensor_bytes:6.2f} tensors")


if __name__ == "__main__":
    _map_large_allocations()  # before anything is allocated
    main(n=2_500_000 if "--quick" in sys.argv else 25_000_000)
