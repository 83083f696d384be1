"""``python -m bench.launch PEAK_FILE COMMAND...``: run COMMAND, write its peak resident memory (KiB) to PEAK_FILE.

Linux carries a process's memory high-water mark across ``fork`` and ``exec``, so a probe started straight from
the bench (which holds hundreds of MB) would report at least the bench's size. Started from this small process,
the probe's ``ru_maxrss`` (from ``os.wait4``, its waited-for children included) is its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main() -> None:
    peak_file, command = Path(sys.argv[1]), sys.argv[2:]
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    peak_file.write_text(str(usage.ru_maxrss), encoding="utf-8")
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
