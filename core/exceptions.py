"""Errors that the apps raise and the edges (API, admin, views) answer in one way."""


class TransitionError(Exception):
    """An object's state does not allow this transition (the API answers 409)."""
