"""Errors of the notifications area."""
from __future__ import annotations


class NotificationError(ValueError):
    """A caller asked for a notification that cannot be built: unknown template, channel or
    language, a missing or unexpected parameter, a malformed recipient.

    A programming error of the calling service, raised by `notify` before anything is queued,
    so it surfaces in that request (and its tests) rather than in the consumer's dead-letter
    queue.  The message names parameters and templates, never their values.
    """


class NotDelivered(RuntimeError):
    """The consumer could not hand a message to the provider; SQS will retry it."""
