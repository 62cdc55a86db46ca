"""The desk's pages, one module per concern."""
