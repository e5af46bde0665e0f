"""Camera source addresses: which are accepted, and how they are shown."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})


def check_source(source: str) -> str:
    """``source`` if it is a stream URL with a host or an absolute file path.

    >>> check_source("rtsp://10.0.0.5:554/stream1")
    'rtsp://10.0.0.5:554/stream1'
    >>> check_source("/srv/video/platform.mp4")
    '/srv/video/platform.mp4'
    >>> check_source("ftp://x/y")
    Traceback (most recent call last):
    ...
    ValueError: source must be an rtsp, rtsps, http or https URL or an absolute file path, not 'ftp://x/y'
    """
    source = source.strip()
    if any(c.isspace() for c in source):
        raise ValueError("source must not contain spaces (encode them as %20)")
    if is_stream(source):
        if not urlsplit(source).hostname:
            raise ValueError(f"source {mask(source)!r} names no host")
        return source
    if "://" not in source and PurePosixPath(source).is_absolute():
        return source
    raise ValueError(
        "source must be an rtsp, rtsps, http or https URL or an absolute file path, "
        f"not {mask(source)!r}"
    )


def is_stream(source: str) -> bool:
    """Whether ``source`` is a network stream (not a file).

    >>> is_stream("RTSP://cam/1"), is_stream("/tmp/a.mp4")
    (True, False)
    """
    return urlsplit(source).scheme.lower() in STREAM_SCHEMES


def mask(source: str) -> str:
    """``source`` with any password in it replaced by ``***``.

    >>> mask("rtsp://admin:secret@10.0.0.5/live")
    'rtsp://admin:***@10.0.0.5/live'
    >>> mask("/srv/a.mp4")
    '/srv/a.mp4'
    """
    parts = urlsplit(source)
    if parts.password is None:
        return source
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username}:***@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))
