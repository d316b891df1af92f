"""Golden images: glance images with ``heps_golden=true`` and display properties."""

GOLDEN_PROPERTY = "heps_golden"
TECHNIQUES_PROPERTY = "heps_techniques"
DESCRIPTION_PROPERTY = "heps_description"


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
