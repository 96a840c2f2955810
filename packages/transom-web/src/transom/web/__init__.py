"""transom.web: an asyncio HTTP server core shaped like ``aiohttp.web``."""

# --- application layer: app, routing, views, exceptions, middleware ---
# --- end application layer ---

# --- server layer: request, responses, server connection, runners ---
# --- end server layer ---

__all__: list[str] = [
    # --- application layer names ---
    # --- end application layer names ---
    # --- server layer names ---
    # --- end server layer names ---
]
