"""User-facing errors: anything a user can fix by changing their input.

The CLI turns a :class:`UserError` into a one-line message on stderr and exit status 2; the web
API turns it into a 422 response. Everything else is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """Bad input: the message names the field, the value and what is allowed."""
