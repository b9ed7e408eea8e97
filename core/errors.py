"""The errors a user can cause, each with a message a person understands.

Front ends turn these into a CLI message (exit status 2) or a `gr.Error`; anything else is a bug.
"""


class RawiError(Exception):
    """Base of every error rawi reports to a person; `str(err)` is the message to show."""


class ConfigError(RawiError):
    """A setting is missing, contradictory or points at something that is not there."""


class StoreError(RawiError):
    """The store folder or Chroma server cannot be used as asked."""


class EmptyStoreError(StoreError):
    """The store holds no chunks yet: nothing to answer from."""


class EmbedderMismatchError(StoreError):
    """The collection was filled by another embedder; mixing vectors would give nonsense."""


class BadQuestionError(RawiError):
    """The question cannot be answered as given (empty, too long, only punctuation)."""


class LLMError(RawiError):
    """The LLM provider failed: unreachable, timed out, refused, or replied with garbage."""
