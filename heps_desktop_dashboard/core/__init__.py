"""Plain-Python domain rules of Experiment Desktops (no Django views, no API calls).

Every convention the plugin keeps on OpenStack resources (server tags and metadata,
flavor extra specs, image properties) is named here and only here.
"""
