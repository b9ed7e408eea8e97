"""Errors from OpenAI-shaped servers (chat and embeddings) as `LLMError`s a person can read.

Built from the error's type and HTTP status only, with the URL's credentials removed, so an API
key echoed by a server never reaches a message. Calling the servers is `vendors.llm` (chat) and
`vendors.embedders` (embeddings).
"""

from __future__ import annotations

import json

from core.errors import LLMError


def display_url(url: str) -> str:
    """`url` as it may be shown or logged: scheme, host, port and path; no user:password@, query or fragment."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", "")) if parts.scheme else url.split("?")[0]
    except ValueError:
        return "(URL)"


def api_error(err: Exception, what: str, url: str) -> LLMError:
    """An `LLMError` that says what went wrong with an OpenAI-shaped server, in words.

    Built from the error's type and HTTP status only: never from the server's reply body or the
    exception text, which may echo the API key ("Incorrect API key provided: sk-..."), and with
    the URL's credentials and query string removed.
    """
    import httpx
    import openai

    where = display_url(url)
    if isinstance(err, openai.APITimeoutError):
        return LLMError(f"{what} at {where} did not answer in time.")
    if isinstance(err, openai.APIConnectionError):
        return LLMError(f"{what} at {where} cannot be reached.")
    if isinstance(err, openai.RateLimitError):
        return LLMError(f"{what} at {where} is rate-limiting requests (429); try again shortly.")
    if isinstance(err, openai.AuthenticationError):
        return LLMError(f"{what} at {where} refused the API key (401).")
    if isinstance(err, openai.APIStatusError):
        return LLMError(f"{what} at {where} failed with HTTP {err.status_code}.")
    if isinstance(err, (json.JSONDecodeError, ValueError)):
        return LLMError(f"{what} at {where} sent a reply that is not valid JSON.")
    if isinstance(err, httpx.TransportError):  # the connection dropped while the reply was streaming in
        return LLMError(f"{what} at {where} dropped the connection; the reply was cut off before it finished.")
    return LLMError(f"{what} at {where} failed ({type(err).__name__}).")
