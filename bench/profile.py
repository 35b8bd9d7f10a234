"""Where the workers spend their time under load: py-spy samples every worker of the server while wrk runs one
scenario, and the samples are summed per function (`bench.run --profile`).

Only the thread holding the GIL is sampled, so the figures say where the CPU goes (a thread waiting for Redis, the
database or the GIL is not counted), and only samples inside a request count; a function's share is the part of
those samples whose stack passes through it (inclusive) or ends in it (self).
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
# Where a request starts inside a worker: the answer memo, which kb/wsgi.py wraps around Django, takes every one.
REQUEST_FRAME = "AnswerMemo.__call__ (curation/api/fastpath.py)"
LINE_NUMBER = re.compile(r":\d+\)$")


def record(pids: list[int], seconds: int, directory: Path) -> list[subprocess.Popen]:
    """Starts py-spy on each worker for `seconds`; each writes collapsed stacks to `directory`."""
    processes = []
    for pid in pids:
        command = [
            PY_SPY, "record", "--gil", "--nonblocking", "--format", "raw", "--rate", "250", "--duration", str(seconds),
            "--pid", str(pid), "--output", str(directory / f"profile-{pid}.txt"),
        ]  # fmt: skip
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return processes


def summarize(files: list[Path], top: int = 25) -> list[str]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for file in files:
        if not file.exists():
            continue
        for line in file.read_text().splitlines():
            stack, _space, count = line.rpartition(" ")
            frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
            if REQUEST_FRAME not in frames:
                continue
            frames = frames[frames.index(REQUEST_FRAME) :]
            samples = int(count)
            total += samples
            own[frames[-1]] += samples
            for frame in set(frames):
                inclusive[frame] += samples
    if not total:
        return ["no samples inside a request (is py-spy allowed to read the workers?)"]
    lines = [f"{'inclusive':>9} {'self':>6}  function (of {total} samples inside requests)"]
    for frame, samples in inclusive.most_common(top):
        lines.append(f"{samples / total:9.1%} {own[frame] / total:6.1%}  {short(frame)}")
    return lines


def short(frame: str) -> str:
    """`name (path)` with the path from the package on (site-packages and the checkout left out)."""
    name, _space, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/wt-perf/", "/main/", "python3.11/"):
        where = where.split(marker)[-1]
    return f"{name} ({where})"
