"""Logs never carry bearer tokens."""

from __future__ import annotations

import logging

from signalfire.core.logging import RedactTokens


def test_tokens_in_query_strings_are_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5555", "/api/live?token=sft_secret&since=3"),
        None,
    )
    RedactTokens().filter(record)
    message = record.getMessage()
    assert "sft_secret" not in message
    assert "token=[redacted]&since=3" in message
