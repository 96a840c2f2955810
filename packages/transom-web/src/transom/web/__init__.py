"""transom.web."""

__all__: list[str] = []
