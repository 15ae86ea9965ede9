"""The engines every kernel benchmark runs on, and how each takes its inputs.

``cupy`` benchmarks get their inputs on the device (the kernel's own time,
no host copies) and wait for the device before the timer stops; without a
usable GPU their setup raises NotImplementedError, which asv reports as
skipped.
"""

import numpy as np

ENGINES = ["numpy", "numba", "cupy"]


class Engine:
    """Move inputs to ``name``'s memory and wait for its queued work."""

    def __init__(self, name):
        self.name = name
        self.cupy = None
        if name == "cupy":
            from skfusion._kernels import _load

            backend = _load("cupy")
            if isinstance(backend, str):
                raise NotImplementedError(f"no GPU engine here: {backend}")
            self.cupy = backend._cupy()

    def put(self, a):
        """An array, or a list of arrays, in this engine's memory; anything else as is."""
        if self.cupy is None or not isinstance(a, (list, np.ndarray)):
            return a
        if isinstance(a, list):
            return [self.cupy.asarray(x) for x in a]
        return self.cupy.asarray(a)

    def sync(self):
        if self.cupy is not None:
            self.cupy.cuda.get_current_stream().synchronize()
