"""Media types with parameters: the ``Content-Type`` value (RFC 9110 §8.3.1).

``MediaType.parse("text/html; charset=UTF-8")`` gives ``essence``
``"text/html"`` and ``charset`` ``"utf-8"``; ``str()`` writes it back,
quoting parameter values that are not tokens.
"""

from transom.protocol.mediatype._media_type import MediaType, MediaTypeError

__all__ = ["MediaType", "MediaTypeError"]
