"""GPU soft vote against the device's copy bandwidth and cupy.tensordot, one run.

20 members x 1e6 rows x 10 classes, float64, as a list of 20 device arrays.
Bandwidth counts the bytes a kernel must move: read every member once and
write the output once. Target (doc/benchmarks.rst): at least 70 % of the
measured device-to-device copy bandwidth.

Run on a machine with cupy and a GPU: ``python asv_bench/peers/compare_gpu.py``.
"""

import cupy as cp
import numpy as np

from skfusion._kernels import _cupy


def gpu_time(fn, repeat=10):
    fn()
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    times = []
    for _ in range(repeat):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop) / 1e3)
    return min(times)


def _setup(n_members, n_rows, n_classes):
    rng = cp.random.default_rng(0)
    arrays = [rng.random((n_rows, n_classes)) for _ in range(n_members)]
    weights = np.random.default_rng(0).random(n_members)
    stacked = cp.stack(arrays)  # for the copy baseline and tensordot only
    big = cp.empty_like(stacked)
    copy_bw = 2 * stacked.nbytes / gpu_time(lambda: cp.copyto(big, stacked))
    return arrays, weights, stacked, copy_bw, stacked.nbytes + arrays[0].nbytes


def soft_vote_share(n_members=20, n_rows=1_000_000, n_classes=10):
    """(copy bandwidth, soft_vote's share of it, soft_vote seconds)."""
    arrays, weights, _, copy_bw, moved = _setup(n_members, n_rows, n_classes)
    seconds = gpu_time(lambda: _cupy.soft_vote(arrays, weights))
    return copy_bw, moved / seconds / copy_bw, seconds


def main(n_members=20, n_rows=1_000_000, n_classes=10):
    arrays, weights, stacked, copy_bw, moved = _setup(n_members, n_rows, n_classes)
    t_ours = gpu_time(lambda: _cupy.soft_vote(arrays, weights))
    w_dev = cp.asarray(weights)
    t_tensordot = gpu_time(lambda: cp.tensordot(w_dev, stacked, axes=1))
    cp.testing.assert_allclose(
        _cupy.soft_vote(arrays, weights), cp.tensordot(w_dev, stacked, axes=1), rtol=1e-10
    )
    print(f"device: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    print(f"copy bandwidth (read + write)      {copy_bw / 1e9:8.1f} GB/s")
    for name, t in [
        ("skfusion soft_vote (list)", t_ours),
        ("cupy.tensordot (stacked)", t_tensordot),
    ]:
        bw = moved / t
        print(f"{name:<34} {t * 1e3:8.2f} ms {bw / 1e9:8.1f} GB/s {100 * bw / copy_bw:6.1f} %")


if __name__ == "__main__":
    main()
