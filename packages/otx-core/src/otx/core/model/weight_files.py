"""Where a recipe's pretrained weights come from: a weights folder, the libraries' caches, or the network.

A recipe names its weights by URL (``model.pretrained``): torchvision's files on download.pytorch.org
or a file of a Hugging Face Hub repository (timm's weights). Each URL has a local file name; the
places looked in, in order:

1. ``$OTX_WEIGHTS_DIR/<file name>`` (a folder of copied files, for machines without internet);
2. torch hub's cache, ``$TORCH_HOME/hub/checkpoints/<file name>`` (``~/.cache/torch`` by default);
3. for Hugging Face URLs, the Hugging Face Hub cache (``$HF_HOME/hub``).

When none holds the file, it is downloaded (into the library's cache) only if its host answers a
quick connection check (:data:`CONNECT_TIMEOUT` seconds); ``OTX_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``)
skips the check. Nothing here waits longer than a bounded timeout on a missing network.
"""

import functools
import os
import shutil
import socket
import tempfile
import threading
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import torch
from attrs import frozen

from otx.core.errors import CheckpointError

__all__ = [
    "CONNECT_TIMEOUT",
    "OFFLINE_ENV",
    "WEIGHTS_DIR_ENV",
    "WeightFile",
    "WeightsStatus",
    "first_line",
    "host_reachable",
    "weights_status",
]

WEIGHTS_DIR_ENV = "OTX_WEIGHTS_DIR"
"""A folder of weight files, looked in first."""

OFFLINE_ENV = "OTX_OFFLINE"
"""Set to ``1`` to never try the network for weights."""

CONNECT_TIMEOUT = 2.0
"""Seconds the connection check waits for a weights host."""

DOWNLOAD_TIMEOUT = 30.0
"""Seconds a download waits for data before it gives up."""

_HF_HOST = "huggingface.co"


@frozen
class WeightFile:
    """A pretrained weights file, named by its URL."""

    url: str

    @property
    def host(self) -> str:
        """The host the file is downloaded from."""
        return urlparse(self.url).hostname or ""

    @property
    def _hf_parts(self) -> tuple[str, str] | None:
        """``(repo_id, filename)`` of a ``https://huggingface.co/<org>/<repo>/resolve/<rev>/<file>`` URL."""
        parts = PurePosixPath(urlparse(self.url).path).parts
        if self.host != _HF_HOST or len(parts) < 6 or parts[3] != "resolve":
            return None
        return f"{parts[1]}/{parts[2]}", "/".join(parts[5:])

    @property
    def file_name(self) -> str:
        """The name the file has in a weights folder: the URL's last part; ``<repo>.<suffix>`` on the Hub."""
        hf = self._hf_parts
        if hf is not None:
            return f"{hf[0].split('/')[1]}{PurePosixPath(hf[1]).suffix}"
        return PurePosixPath(urlparse(self.url).path).name

    def places(self) -> list[Path]:
        """Where the file is looked for, in order (the Hub cache is searched separately)."""
        found = []
        if folder := os.environ.get(WEIGHTS_DIR_ENV):
            found.append(Path(folder).expanduser() / self.file_name)
        found.append(Path(torch.hub.get_dir()) / "checkpoints" / self.file_name)
        return found

    def local(self) -> Path | None:
        """The file on this machine, or ``None``."""
        for place in self.places():
            if place.is_file():
                return place
        hf = self._hf_parts
        if hf is None:
            return None
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(hf[0], hf[1])
        return Path(cached) if isinstance(cached, str) else None

    def fetch(self) -> Path:
        """The local file, downloaded first if needed; a one-line :class:`CheckpointError` if it cannot be."""
        local = self.local()
        if local is not None:
            return local
        hf = self._hf_parts
        try:
            if hf is not None:
                from huggingface_hub import hf_hub_download

                return Path(hf_hub_download(hf[0], hf[1]))
            return _download(self.url, self.places()[-1])
        except Exception as exc:  # network errors come in many types; each becomes one line
            raise CheckpointError(
                f"Cannot download {self.url}: {first_line(exc)}. "
                f"Copy {self.file_name} into ${WEIGHTS_DIR_ENV} (see `otx weights`)"
            ) from None


def _download(url: str, target: Path) -> Path:
    """Stream ``url`` into ``target`` through a temporary file, so that a broken download leaves nothing behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response,
        tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as part,
    ):
        try:
            shutil.copyfileobj(response, part)
        except BaseException:
            Path(part.name).unlink(missing_ok=True)
            raise
    Path(part.name).replace(target)
    return target


def _offline() -> bool:
    return any(os.environ.get(name, "") not in ("", "0") for name in (OFFLINE_ENV, "HF_HUB_OFFLINE"))


@functools.cache
def host_reachable(host: str, timeout: float = CONNECT_TIMEOUT) -> bool:
    """Whether a TCP connection to ``host`` (or the HTTPS proxy) opens within ``timeout`` seconds; asked once."""
    if _offline() or not host:
        return False
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    address = (host, 443)
    if proxy:
        parsed = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        address = (parsed.hostname or host, parsed.port or 443)
    answer: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection(address, timeout=timeout):
                answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=connect, daemon=True)  # name resolution ignores the socket timeout
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


@frozen
class WeightsStatus:
    """Whether a weights file can be used, and why, in words."""

    available: bool
    reason: str


def weights_status(url: str) -> WeightsStatus:
    """Whether the weights at ``url`` are on this machine or can be downloaded (a bounded check)."""
    weights = WeightFile(url)
    local = weights.local()
    if local is not None:
        return WeightsStatus(True, f"{weights.file_name} found in {local.parent}")
    if _offline():
        return WeightsStatus(False, f"{weights.file_name} is not on this machine and {OFFLINE_ENV} is set")
    if host_reachable(weights.host):
        return WeightsStatus(True, f"{weights.file_name} will be downloaded from {weights.host}")
    return WeightsStatus(False, f"{weights.file_name} is not on this machine and {weights.host} cannot be reached")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]
