"""SIGINT and SIGTERM as an exception, so that a run stops through its cleanup and says how to go on."""

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Interrupted", "interruptible"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived. Not a ``KeyboardInterrupt``: Lightning turns that into ``sys.exit(1)``."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        super().__init__(message or f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


@contextmanager
def interruptible() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise :class:`Interrupted` in this process.

    A signal that was ignored stays ignored. Forked data-loader workers keep the default behaviour
    (their parent stops them). Outside the main thread signals cannot be handled: the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == owner:
            raise Interrupted(signum)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    handled = [signum for signum in SIGNALS if signal.getsignal(signum) != signal.SIG_IGN]  # e.g. SIGINT in `cmd &`
    previous = {signum: signal.signal(signum, handler) for signum in handled}
    try:
        yield
    finally:
        for signum, restored in previous.items():
            signal.signal(signum, restored)
