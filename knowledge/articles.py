"""Split a seed document into addressable articles and clauses. (stub: being written)"""


def parse_articles(text: str, scheme: str) -> dict[str, str]:
    raise NotImplementedError
