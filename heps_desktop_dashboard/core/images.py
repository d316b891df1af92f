"""Golden images: glance images with ``heps_golden=true`` and display properties."""

from heps_desktop_dashboard.core import conventions as names

GOLDEN_PROPERTY = names.IMAGE_GOLDEN
TECHNIQUES_PROPERTY = names.IMAGE_TECHNIQUES
DESCRIPTION_PROPERTY = names.IMAGE_DESCRIPTION


def _properties(image):
    props = dict(getattr(image, "properties", None) or {})
    # glanceclient v2 images are dicts of their properties too.
    if not props and hasattr(image, "to_dict"):
        props = image.to_dict()
    return props


def is_golden(image):
    return str(_properties(image).get(GOLDEN_PROPERTY, "")).lower() in ("true", "1", "yes")


def techniques(image):
    raw = str(_properties(image).get(TECHNIQUES_PROPERTY) or "")
    return [t.strip() for t in raw.split(",") if t.strip()]


def description(image):
    return str(_properties(image).get(DESCRIPTION_PROPERTY) or "")
