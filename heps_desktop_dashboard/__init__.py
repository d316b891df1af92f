"""HEPS Experiment Desktops: GPU-backed analysis desktops in OpenStack Horizon."""

__version__ = "0.1.0"
