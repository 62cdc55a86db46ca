"""The staff web desk (`junxiu desk`): Starlette + Jinja2, server-rendered, on the bot's own
database and outbox. `create_app(settings)` builds it; `serve(...)` runs it with uvicorn."""

from bot.web.app import create_app
from bot.web.serve import serve

__all__ = ["create_app", "serve"]
