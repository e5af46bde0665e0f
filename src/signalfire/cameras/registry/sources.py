"""Camera source addresses: which are accepted, and how they are shown.

A camera URL can carry a credential in four places: the userinfo (``user:pass@``, or a
bare token ``TOKEN@``), a query parameter (``?password=...``, ``?token=...``), a
``name=value`` piece of the path (``/user=admin_password=x_channel=1``, common on cheap
DVRs) and the fragment. :func:`mask` hides all four and never raises, whatever it is
given; :func:`mask_text` does the same for every URL inside a message (an FFmpeg or
OpenCV error that repeats the address).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
HIDDEN = "***"

#: A query or path parameter whose name contains one of these (case-insensitive) holds a
#: secret: the words of the usual "sensitive key" deny lists (OWASP logging cheat sheet,
#: Sentry's default scrubber): passwords, secrets, tokens, keys, signatures (``sig``,
#: AWS/Azure pre-signed URLs), credentials, sessions, cookies, one-time codes, and the
#: user names that cameras take beside them. Hiding a harmless look-alike
#: (``keyframe``) costs nothing; showing a secret would.
CREDENTIAL_WORDS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "auth",
    "key",
    "sig",
    "cred",
    "session",
    "cookie",
    "jwt",
    "otp",
    "user",
    "login",
)

_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
_PATH_PARAM = re.compile(r"([A-Za-z0-9_.\-]+)=([^/&;?#]*)")


def is_credential_name(name: str) -> bool:
    """Whether a parameter called ``name`` carries a secret.

    >>> [is_credential_name(n) for n in ("PassWord", "access_token", "X-Amz-Signature")]
    [True, True, True]
    >>> [is_credential_name(n) for n in ("channel", "subtype", "resolution")]
    [False, False, False]
    """
    folded = unquote_plus(name).casefold()
    return any(word in folded for word in CREDENTIAL_WORDS)


def _port_of(parts: SplitResult) -> int | None:
    """The URL's port; ``ValueError`` naming ``source`` when it is not 1..65535."""
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("source port must be a number from 1 to 65535")
    return port


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
    >>> check_source("rtsp://viewer:pw@127.0.0.1:99999/s")
    Traceback (most recent call last):
    ...
    ValueError: source port must be a number from 1 to 65535
    """
    source = source.strip()
    if any(c.isspace() for c in source):
        raise ValueError("source must not contain spaces (encode them as %20)")
    try:
        parts = urlsplit(source)
    except ValueError as exc:  # an unclosed IPv6 bracket
        raise ValueError(f"source is not a valid URL: {mask(source)!r}") from exc
    if parts.scheme.lower() in STREAM_SCHEMES:
        if not parts.hostname:
            raise ValueError(f"source {mask(source)!r} names no host")
        _port_of(parts)
        return source
    if "://" not in source and PurePosixPath(source).is_absolute():
        return source
    raise ValueError(
        "source must be an rtsp, rtsps, http or https URL or an absolute file path, "
        f"not {mask(source)!r}"
    )


def is_stream(source: str) -> bool:
    """Whether ``source`` is a network stream (not a file).

    >>> is_stream("RTSP://cam/1"), is_stream("/tmp/a.mp4"), is_stream("http://[::1")
    (True, False, False)
    """
    try:
        return urlsplit(source).scheme.lower() in STREAM_SCHEMES
    except ValueError:
        return False


def _mask_netloc(netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return netloc
    user, colon, _password = userinfo.partition(":")
    return f"{user}:{HIDDEN}@{hostport}" if colon else f"{HIDDEN}@{hostport}"


def _mask_query(query: str) -> str:
    pieces = []
    for piece in re.split(r"([&;])", query):
        name, eq, _value = piece.partition("=")
        if piece in ("&", ";") or (eq and not is_credential_name(name)):
            pieces.append(piece)
        elif eq:
            pieces.append(f"{name}={HIDDEN}")
        else:  # a bare value, nameless: it may well be a token
            pieces.append(HIDDEN if piece else "")
    return "".join(pieces)


def _mask_path(path: str) -> str:
    def hide(found: re.Match[str]) -> str:
        name = found.group(1)
        return f"{name}={HIDDEN}" if is_credential_name(name) else found.group(0)

    return _PATH_PARAM.sub(hide, path)


def mask(source: str) -> str:
    """``source`` with every credential in it replaced by ``***``; never raises.

    >>> mask("rtsp://admin:secret@10.0.0.5/live")
    'rtsp://admin:***@10.0.0.5/live'
    >>> mask("rtsp://TOKEN@cam:554/s?channel=1&Password=x#frag")
    'rtsp://***@cam:554/s?channel=1&Password=***#***'
    >>> mask("rtsp://dvr/user=admin_password=x_channel=1.sdp")
    'rtsp://dvr/user=***'
    >>> mask("rtsp://viewer:pw@127.0.0.1:99999/s")
    'rtsp://viewer:***@127.0.0.1:99999/s'
    >>> mask("/srv/a.mp4")
    '/srv/a.mp4'
    """
    scheme, sep, _rest = source.partition("://")
    if not sep:
        return source  # a file path holds no credentials
    try:
        parts = urlsplit(source)
    except ValueError:  # unparseable: show the scheme only
        return f"{scheme}://{HIDDEN}"
    masked = parts._replace(
        netloc=_mask_netloc(parts.netloc),
        path=_mask_path(parts.path),
        query=_mask_query(parts.query),
        fragment=HIDDEN if parts.fragment else "",
    )
    return urlunsplit(masked)


def mask_text(text: str) -> str:
    """``text`` with every URL in it masked (an error message that repeats the source).

    >>> mask_text("video source rtsp://cam/s?token=abc: cannot open: refused")
    'video source rtsp://cam/s?token=***: cannot open: refused'
    """

    def hide(found: re.Match[str]) -> str:
        url = found.group(0)
        kept = url.rstrip(".,:;!)]}")  # the sentence's punctuation, not the URL's
        return mask(kept) + url[len(kept) :]

    return _URL_IN_TEXT.sub(hide, text)
