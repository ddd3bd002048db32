"""Before xdist's workers start, compile the coder's numba kernels once, two levels in parallel.

With a cold cache every worker otherwise compiled the same large kernels at the same time (the classic
and the strong coder, each with and without its change log, and the JPEG scan kernels): a clean
checkout's quick suite took 12 min, of which about 11 were compiling. Warm, this costs a few seconds.
"""

import subprocess
import sys
from pathlib import Path

WARM = Path(__file__).with_name("warm_kernels.py")
LEVELS = (1, 6, 9)  # the classic coder; the strong one (4-6, and 6-9 with --model: strength is an argument); ULTRA's


def pytest_configure(config):
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return  # an xdist worker, or a run without workers: each kernel compiles once anyway
    procs = [subprocess.Popen([sys.executable, str(WARM), str(level)]) for level in LEVELS]
    for proc in procs:
        proc.wait()  # a failure here shows again, as a test failure, in the tests that need the kernel
