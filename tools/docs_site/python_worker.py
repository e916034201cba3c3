"""The interpreter that runs one page's Python snippets in one namespace (started by ``snippets.py``).

Each line on stdin names a file of code and the page it comes from; the reply, on the file
descriptor given as the argument, is ``ok`` or ``failed`` and the traceback, then a NUL byte.
Modules in the page's folder (titled blocks) are importable, as they are for ``python -c``.
"""

import os
import sys
import traceback
from pathlib import Path


def main() -> None:
    replies = int(sys.argv[1])
    sys.path[0] = os.getcwd()  # as in ``python -c``: the page's folder, not this script's, is importable
    namespace: dict[str, object] = {"__name__": "__main__"}
    for request in sys.stdin:
        code_file, _, page = request.rstrip("\n").partition("\t")
        try:
            exec(compile(Path(code_file).read_text(encoding="utf-8"), page, "exec"), namespace)
            reply = "ok"
        except BaseException:  # a snippet's SystemExit or KeyboardInterrupt is its failure too
            reply = "failed\n" + traceback.format_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(replies, reply.encode() + b"\0")


if __name__ == "__main__":
    main()
