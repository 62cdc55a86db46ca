"""`junxiu desk`: uvicorn serving the desk, logging through the masking handler (no phone
number reaches a log, not even in a searched URL)."""

from __future__ import annotations

import logging

from bot.settings import Settings


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080,
          https: bool = False) -> None:
    import uvicorn

    from bot.logs import setup_logging
    from bot.web.app import create_app

    setup_logging()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the migration at start, quietly
    app = create_app(settings, https=https)
    # Behind a TLS proxy (--https) the client's address and scheme come from its headers.
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=https,
                forwarded_allow_ips="127.0.0.1" if https else None, server_header=False)
