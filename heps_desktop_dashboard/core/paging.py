"""Marker pagination in Horizon's shape (``PagedTableMixin``): plain Python."""


def update_pagination(entities, page_size, marker, reversed_order=False):
    """``(entities, has_more, has_prev)`` of a list fetched with ``limit=page_size + 1``."""
    entities = list(entities)
    has_more = has_prev = False
    if len(entities) > page_size:
        has_more = True
        entities.pop()
        if marker is not None:
            has_prev = True
    elif reversed_order and marker is not None:
        has_more = True
    elif marker is not None:
        has_prev = True
    if reversed_order:
        entities.reverse()
    return entities, has_more, has_prev
