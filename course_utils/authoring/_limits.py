"""``python -m course_utils.authoring._limits [--memory-mb M] [--cpu-seconds S] [--env K=V]... -- CMD``:
set resource limits on this process, then become CMD (the grader's kernel: see ``grade``).

The limits (POSIX ``setrlimit``) hold for CMD and everything it starts:
address space (``RLIMIT_AS``: an allocation past it fails with MemoryError), CPU seconds
(``RLIMIT_CPU``: a backstop behind the grader's wall-clock limit), the size of any file written
(``RLIMIT_FSIZE``, 256 MB) and no core dumps.
"""

from __future__ import annotations

import os
import resource
import sys

FILE_LIMIT = 256 * 2**20


def main(argv: list[str]) -> None:
    if "--" not in argv:
        raise SystemExit("usage: _limits [--memory-mb M] [--cpu-seconds S] [--env K=V]... -- CMD")
    split = argv.index("--")
    options, cmd = argv[:split], argv[split + 1:]
    it = iter(options)
    for opt in it:
        value = next(it)
        if opt == "--memory-mb":
            limit = int(value) * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        elif opt == "--cpu-seconds":
            seconds = int(value)
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
        elif opt == "--env":
            key, _, val = value.partition("=")
            os.environ[key] = val
        else:
            raise SystemExit(f"_limits: unknown option {opt}")
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
